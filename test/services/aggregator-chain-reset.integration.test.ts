import { afterEach, describe, expect, it } from 'vitest';
import { ChainWatcher } from '../../src/actors/chain-watcher.ts';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import { ALPHA_USD, PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { signTempoTransfer } from '../../src/chain/tempo-transfer.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { signCertificate } from '../../src/protocol/certificate.ts';
import { effectsHash } from '../../src/protocol/hashing.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createLogger } from '../../src/util/logger.ts';
import { BOB, DAVE, EDGAR } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { startTestAggregator } from '../support/test-aggregator.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

/** anvil dev account #1 ("test … junk" mnemonic): funded at genesis, so again after a reset. */
const DEV1_KEY = fromHex('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const DEV1 = fromHex('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');
const committee = committeeOf([DAVE, EDGAR]);
const logger = createLogger('aggregator-chain-reset-test', 'silent');

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function anvilOn(port?: number): Promise<AnvilProcess> {
  const anvil = await startAnvil(port === undefined ? {} : { port });
  cleanup.push(() => anvil.stop());
  return anvil;
}

async function mine(rpcUrl: string, blocks: number): Promise<void> {
  await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'anvil_mine',
      params: [`0x${blocks.toString(16)}`],
    }),
  });
}

describe('aggregator on a real Tempo node restarted from genesis', () => {
  it('takes an INCLUDED payment back instead of FINALIZED, reports the lower head, and finds the tx again', async () => {
    const first = await anvilOn();
    const port = createViemChain({ rpcUrl: first.rpcUrl, pollIntervalMs: 100 });
    cleanup.push(() => port.close());
    const store = new MemoryStore();
    const { aggregator, registry } = await startTestAggregator({
      store,
      committee,
      logger,
      headSource: 'the test devnet',
    });
    cleanup.push(() => registry.close());
    cleanup.push(() => aggregator.close());
    const watcher = new ChainWatcher({
      payments: aggregator,
      heads: port,
      chain: port,
      scanned: { store, key: 'aggregator/chain/scanned' },
      finalityDepth: 2,
      onError: () => undefined,
    });
    await watcher.start();
    cleanup.push(() => watcher.stop());

    const raw = signTempoTransfer({
      chainId: await port.chainId(),
      senderKey: DEV1_KEY,
      recipient: BOB,
      amount: 1n,
      nonceKey: new Uint8Array(32),
      nonce: 0n,
      feeToken: PATH_USD,
    });
    const effects = {
      sender: DEV1,
      recipient: BOB,
      amount: 1n,
      asset: ALPHA_USD,
      nonce: { nonceKey: new Uint8Array(32), seq: 0n },
    };
    const txHash = repeatByte(0x72, 32);
    for (const v of [DAVE, EDGAR]) {
      const signer = suite.ed25519.signer(v.seed);
      const at = BigInt(Date.now());
      await aggregator.ingest(
        signCertificate(suite, signer, v, committee, effects, txHash, effectsHash(suite, effects), at),
      );
    }
    const key = toHex(txHash);
    expect(aggregator.payment(key)?.stage).toBe('QC_FORMED');

    await port.sendRawTransaction(raw);
    await eventually(() => expect(aggregator.payment(key)?.stage).toBe('INCLUDED'), 10_000);
    expect(aggregator.payment(key)?.inclusion?.blockNumber).toBe('1');
    await eventually(() => expect(aggregator.head()?.height).toBe(1n), 10_000);

    await first.stop();
    await anvilOn(first.port);
    await eventually(() => expect(aggregator.payment(key)?.stage).toBe('QC_FORMED'), 10_000);
    expect(aggregator.head()?.height).toBe(0n);
    expect(aggregator.payment(key)?.inclusion).toBeNull();

    await mine(first.rpcUrl, 5);
    await eventually(() => expect(aggregator.head()?.height).toBe(5n), 10_000);
    expect(aggregator.payment(key)?.stage).toBe('QC_FORMED');

    await port.sendRawTransaction(raw);
    await eventually(() => expect(aggregator.payment(key)?.inclusion?.blockNumber).toBe('6'), 10_000);
    await mine(first.rpcUrl, 2);
    await eventually(() => expect(aggregator.payment(key)?.stage).toBe('FINALIZED'), 10_000);
  }, 60_000);
});
