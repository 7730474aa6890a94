import { randomBytes } from 'node:crypto';
import { privateKeyToAddress } from 'viem/accounts';
import { compareBytes, fromHex, toHex } from '../../protocol/bytes.ts';
import {
  escrowPaymentDigest,
  escrowSettlementDigest,
  NO_PARENT,
} from '../../protocol/escrow/escrow-payment.ts';
import { signEscrowDigest } from '../../protocol/escrow/escrow-signature.ts';
import { type DeployEscrowOptions, deployEscrow, type EscrowSender } from './escrow-chain.ts';

export interface SettlementGasOptions {
  readonly rpcUrl: string;
  /** Deploys, deposits and pays: must hold `token` and pathUSD for fees. */
  readonly payer: EscrowSender;
  readonly token: Uint8Array;
  /** Number of committee members n; the QC carries n − floor((n−1)/3) signatures. */
  readonly committeeSize: number;
}

/**
 * Gas of one `settle` with a QC of a fresh committee of `committeeSize` random settlement keys: deploys an
 * escrow, deposits 2 base units, then settles a 1-unit payment from a fresh lane (so every storage slot the
 * payment writes is new, the costly case on TIP-1000 networks) and returns its gasUsed.
 */
export async function measureSettlementGas(options: SettlementGasOptions): Promise<bigint> {
  const keys = Array.from({ length: options.committeeSize }, () => new Uint8Array(randomBytes(32)));
  const addressOf = (key: Uint8Array) => fromHex(privateKeyToAddress(toHex(key)));
  const threshold = options.committeeSize - Math.floor((options.committeeSize - 1) / 3);
  const deploy: DeployEscrowOptions = {
    rpcUrl: options.rpcUrl,
    deployer: options.payer,
    committee: keys.map(addressOf),
    threshold: BigInt(threshold),
    withdrawalDelay: 60n,
  };
  const escrow = await deployEscrow(deploy);
  try {
    await escrow.deposit(options.payer, options.token, 2n);
    const { timestampMs } = await escrow.head();
    const payment = {
      payer: options.payer.address,
      recipient: addressOf(keys[0]!),
      token: options.token,
      amount: 1n,
      lane: new Uint8Array(randomBytes(32)),
      seq: 0n,
      deadline: timestampMs / 1000n + 600n,
      parent: NO_PARENT,
    };
    const id = escrowPaymentDigest(escrow.domain, payment);
    const digest = escrowSettlementDigest(escrow.domain, id, 0n);
    const signers = keys
      .map((key) => ({ key, address: addressOf(key) }))
      .sort((a, b) => compareBytes(a.address, b.address))
      .slice(0, threshold);
    const receipt = await escrow.settle(options.payer, {
      payment,
      payerSignature: signEscrowDigest(id, options.payer.privateKey),
      certSignatures: signers.map((s) => signEscrowDigest(digest, s.key)),
    });
    return receipt.gasUsed;
  } finally {
    await escrow.close();
  }
}
