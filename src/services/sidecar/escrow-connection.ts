import { privateKeyToAddress } from 'viem/accounts';
import { connectEscrow, type EscrowChain } from '../../chain/escrow/escrow-chain.ts';
import { byteKey, fromHex, toHex } from '../../protocol/bytes.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import type { Ledger } from '../../protocol/ledger/ledger.ts';
import type { Logger } from '../../util/logger.ts';
import { EscrowSettlement } from './escrow-settlement.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';
import type { SidecarEscrowConfig } from './sidecar-config.ts';
import type { SettlementSigner } from './validator-core.ts';

/** A sidecar's escrow side: the contract read at B, the key that signs and sends settlements, the queue. */
export interface EscrowConnection {
  readonly chain: EscrowChain;
  readonly signer: SettlementSigner;
  readonly settlement: EscrowSettlement;
  close(): Promise<void>;
}

export interface EscrowConnectionDeps {
  readonly suite: CryptoSuite;
  readonly ledger: Ledger;
  readonly lifecycle: LifecycleHub;
  readonly signaturesOf: (txHash: Uint8Array) => readonly Uint8Array[];
  readonly logger: Logger;
}

/**
 * Connects to the AllegroEscrow at `--escrow` through `--rpc-url`, reads its current committee and checks that
 * `--settlement-key` is a member (otherwise its settlement signatures would count for nothing), and queues the
 * escrow locks of the restored ledger for settlement.
 */
export async function connectEscrowSettlement(
  rpcUrl: string,
  config: SidecarEscrowConfig,
  deps: EscrowConnectionDeps,
): Promise<EscrowConnection> {
  const chain = await connectEscrow({ rpcUrl, escrow: config.address });
  try {
    const committee = await chain.committee();
    const address = fromHex(privateKeyToAddress(toHex(config.settlementKey)), 20);
    if (!committee.members.some((m) => byteKey(m) === byteKey(address))) {
      throw new Error(
        `--settlement-key ${toHex(address)} is not in the escrow's committee (epoch ${committee.epoch}): register it first`,
      );
    }
    const settlement = new EscrowSettlement({
      escrow: chain,
      sender: { privateKey: config.settlementKey, address },
      committee,
      suite: deps.suite,
      lifecycle: deps.lifecycle,
      signaturesOf: deps.signaturesOf,
      logger: deps.logger,
    });
    for (const record of deps.ledger.locks()) settlement.enqueue(record);
    return {
      chain,
      signer: { domain: chain.domain, epoch: committee.epoch, privateKey: config.settlementKey },
      settlement,
      async close() {
        await settlement.stop();
        await chain.close();
      },
    };
  } catch (err) {
    await chain.close();
    throw err;
  }
}
