import fc from 'fast-check';
import type { Hex } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import { FastPaySidecar, type SubmitFastPayResponse } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { sidecarCommand, sidecarConfigFromFlags } from '../../src/cli/sidecar.command.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import type { FastPayTx } from '../../src/protocol/types.ts';
import { type RunningSidecar, startSidecar } from '../../src/services/sidecar/sidecar-node.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { MAX_SUBMISSIONS_PER_BATCH } from '../../src/wire/grpc-limits.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { ALICE, ALICE_KEY, BOB, BOB_KEY, CAROL, CAROL_KEY } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';

const PAYERS = [
  { key: ALICE_KEY, address: ALICE },
  { key: BOB_KEY, address: BOB },
  { key: CAROL_KEY, address: CAROL },
] as const;
const DOLLAR = 1_000_000n;

const running: RunningSidecar[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** A standalone Dave with the demo balances (Alice 15, Bob 5, Carol 5 dollars) and an in-memory store. */
async function dave(): Promise<{ sidecar: RunningSidecar; client: ReturnType<typeof connect> }> {
  const flags = [
    ...['--name', 'Dave', '--seed', '41'.repeat(32), '--validator-id', 'd1'.repeat(32)],
    ...['--listen', '127.0.0.1:0', '--store', 'memory', '--demo-balances', '--allow-small-committee'],
  ];
  const config = sidecarConfigFromFlags(parseCommandArgs(sidecarCommand, flags).values);
  const sidecar = await startSidecar(config, capturedLogger('error').logger);
  running.push(sidecar);
  return { sidecar, client: connect(sidecar.port) };
}

function connect(port: number) {
  return createClient(FastPaySidecar, `127.0.0.1:${port}`);
}

/** What must be equal between two answers to the same payment (certificates differ only in their creation time). */
function essence(response: SubmitFastPayResponse) {
  const { result } = response;
  if (result.case === 'cert') {
    return {
      cert: toHex(result.value.txHash),
      effects: toHex(result.value.effectsHash),
      signer: toHex(result.value.signer?.id ?? new Uint8Array()),
    };
  }
  if (result.case === 'reject') return { reject: result.value.code, message: result.value.message };
  return { none: true };
}

/** A payment: payer, recipient, lane, sequence and amount, some overspending, some conflicting or repeated. */
const paymentArb = fc.record({
  payer: fc.integer({ min: 0, max: 2 }),
  to: fc.integer({ min: 0, max: 2 }),
  nonceKey: fc.integer({ min: 1, max: 2 }),
  seq: fc.integer({ min: 0, max: 2 }),
  dollars: fc.integer({ min: 1, max: 9 }),
});

type PaymentSpec = ReturnType<typeof paymentArb.generate>['value'];

async function signAll(specs: readonly PaymentSpec[]): Promise<FastPayTx[]> {
  const validBefore = BigInt(Math.floor(Date.now() / 1000) + 600);
  return Promise.all(
    specs.map((s) =>
      buildPayment({
        key: PAYERS[s.payer]!.key as Hex,
        to: PAYERS[s.to === s.payer ? (s.to + 1) % 3 : s.to]!.address,
        amount: BigInt(s.dollars) * DOLLAR,
        nonceKey: BigInt(s.nonceKey),
        seq: BigInt(s.seq),
        validBefore,
      }),
    ),
  );
}

describe('SubmitFastPayBatch', () => {
  it('answers every payment exactly as SubmitFastPay calls in the same order do (certificates, rejects, duplicates, conflicts)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(paymentArb, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        async (specs, repeats) => {
          const txs = await signAll(specs);
          const requests = [...txs, ...repeats.map((i) => txs[i % txs.length]!)].map((tx) =>
            submitRequestToProto({ tx, parentQcs: [] }),
          );
          const unary = await dave();
          const batch = await dave();
          try {
            const one: SubmitFastPayResponse[] = [];
            for (const request of requests) one.push(await unary.client.submitFastPay(request));
            const all = await batch.client.submitFastPayBatch({ requests });
            expect(all.responses.map(essence)).toEqual(one.map(essence));
          } finally {
            unary.client.close();
            batch.client.close();
            await Promise.all(running.splice(0).map((s) => s.stop()));
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);

  it(`refuses a batch of more than ${MAX_SUBMISSIONS_PER_BATCH} payments with INVALID_ARGUMENT`, async () => {
    const { client } = await dave();
    try {
      const [tx] = await signAll([{ payer: 0, to: 1, nonceKey: 1, seq: 0, dollars: 1 }]);
      const request = submitRequestToProto({ tx: tx!, parentQcs: [] });
      const requests = Array.from({ length: MAX_SUBMISSIONS_PER_BATCH + 1 }, () => request);
      await expect(client.submitFastPayBatch({ requests })).rejects.toMatchObject({
        code: 3,
        message: expect.stringContaining(`at most ${MAX_SUBMISSIONS_PER_BATCH}`),
      });
    } finally {
      client.close();
    }
  });
});
