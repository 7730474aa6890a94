import { keccak256 } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.ts';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { signTempoTransfer } from '../../src/chain/tempo-transfer.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { eventually } from '../support/eventually.ts';
import { nodeRpc } from '../support/node-rpc.ts';

/** anvil dev account #1 ("test … junk" mnemonic): funded at genesis, so again after a reset. */
const DEV1_KEY = fromHex('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const BOB = repeatByte(0xbb, 20);

/** Sidecars are never called here (channels connect lazily). */
const committee: Committee = {
  chainId: 1337n,
  epoch: 1n,
  members: [
    { name: 'Dave', id: repeatByte(0xd1, 32), publicKey: repeatByte(1, 32), url: 'http://127.0.0.1:9' },
  ],
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function anvilOn(port?: number): Promise<AnvilProcess> {
  const anvil = await startAnvil(port === undefined ? {} : { port });
  cleanup.push(() => anvil.stop());
  return anvil;
}

describe('observer on a real Tempo node restarted from genesis', () => {
  it('takes an INCLUDED payment back (never FINALIZED for a tx the chain lacks), follows the lower head, and lands it again', async () => {
    const first = await anvilOn();
    const chain: ChainPort = createViemChain({ rpcUrl: first.rpcUrl, pollIntervalMs: 100 });
    cleanup.push(() => chain.close());
    const chainId = await chain.chainId();
    const raw = signTempoTransfer({
      chainId,
      senderKey: DEV1_KEY,
      recipient: BOB,
      amount: 1n,
      nonceKey: new Uint8Array(32),
      nonce: 0n,
      feeToken: PATH_USD,
    });
    const chainTxHash = keccak256(raw);
    const system = await ActorSystem.start({
      committee,
      store: new MemoryStore(),
      chain,
      finalityDepth: 2,
      logger: { warn: () => undefined },
    });
    cleanup.push(() => system.stop());
    const txHash = toHex(repeatByte(0x71, 32));
    await system.payments.track({
      txHash,
      sender: toHex(repeatByte(0xaa, 20)),
      recipient: toHex(BOB),
      asset: toHex(repeatByte(0xcc, 20)),
      amount: '1',
      chainTxHash,
      threshold: 1,
      faultTolerance: 0,
      blockAtSubmit: '0',
      submittedAt: 1000,
    });
    await system.payments.send(txHash, { type: 'QC_FORMED', at: 1, qcHash: '0x01', blockHeight: '0' });
    await chain.sendRawTransaction(raw);
    await eventually(() => expect(system.payments.get(txHash)?.stage).toBe('INCLUDED'), 10_000);
    const included = system.payments.get(txHash)!.context.inclusion!;
    await eventually(() => expect(system.head()?.height).toBe(1n), 10_000);

    await first.stop();
    await anvilOn(first.port);
    await eventually(() => expect(system.payments.get(txHash)?.stage).toBe('QC_FORMED'), 10_000);
    expect(system.head()?.height).toBe(0n);
    expect(system.payments.get(txHash)?.context.lostInclusions?.[0]).toMatchObject(included);

    await nodeRpc(first.rpcUrl, 'anvil_mine', ['0x5']);
    await eventually(() => expect(system.head()?.height).toBe(5n), 10_000);
    expect(system.payments.get(txHash)?.stage).toBe('QC_FORMED');

    await chain.sendRawTransaction(raw);
    await eventually(() => expect(system.payments.get(txHash)?.stage).toBe('INCLUDED'), 10_000);
    expect(system.payments.get(txHash)?.context.inclusion?.blockNumber).toBe('6');
    await nodeRpc(first.rpcUrl, 'anvil_mine', ['0x2']);
    await eventually(() => expect(system.payments.get(txHash)?.stage).toBe('FINALIZED'), 10_000);
  }, 60_000);
});
