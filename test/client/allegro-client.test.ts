import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AllegroClient, type AllegroClientOptions } from '../../src/client/allegro-client.ts';
import type { ClientEvent } from '../../src/client/client-event.ts';
import {
  AllegroClientError,
  PaymentRejectedError,
  PendingPaymentError,
  QuorumTimeoutError,
} from '../../src/client/errors.ts';
import { inProcessTransport } from '../../src/client/in-process-transport.ts';
import { DEFAULT_LANE } from '../../src/client/lane.ts';
import type { RetryPolicy } from '../../src/client/retry-policy.ts';
import { bytesEqual, repeatByte } from '../../src/protocol/bytes.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { SidecarTransport } from '../../src/wire/sidecar-transport.ts';
import { TransportError } from '../../src/wire/transport-error.ts';
import { ALICE, ALICE_KEY, ALPHA_USD, BOB, CAROL } from '../support/demo-keys.ts';
import { demoChainView, harnessAnswer } from '../support/harness-sidecar.ts';
import {
  committeeOf,
  HarnessValidator,
  suite,
  type ValidatorIdentity,
} from '../support/validator-harness.ts';

const FAST: Partial<RetryPolicy> = {
  deadlineMs: 3_000,
  attemptTimeoutMs: 1_000,
  initialBackoffMs: 2,
  maxBackoffMs: 10,
  stateRetries: 1,
};

/** `n` validators v0…v(n−1) running the real decision, and their committee. */
function network(n: number) {
  const identities: ValidatorIdentity[] = Array.from({ length: n }, (_, i) => ({
    name: `v${i}`,
    id: repeatByte(0x10 + i, 32),
    seed: repeatByte(0x41 + i, 32),
  }));
  const committee = committeeOf(identities);
  const validators = identities.map((identity) => new HarnessValidator(identity, committee, demoChainView()));
  return { identities, committee, validators };
}

const honest = (v: HarnessValidator) => inProcessTransport((request) => harnessAnswer(v, request));
const unreachable = () =>
  new TransportError('connection refused', { transient: true, status: 'UNAVAILABLE' });
const down = () =>
  inProcessTransport(() => {
    throw unreachable();
  });
const silent = () => inProcessTransport(() => new Promise<never>(() => undefined));
/** Answers with certificates signed by a key that is not the committee's for `identity`. */
const forger = (identity: ValidatorIdentity, committee: Committee) =>
  honest(new HarnessValidator({ ...identity, seed: repeatByte(0x99, 32) }, committee, demoChainView()));
/** Honest once `up` is set; unreachable before. */
function switchable(v: HarnessValidator) {
  const state = { up: false };
  const transport = inProcessTransport((request) => {
    if (!state.up) throw unreachable();
    return harnessAnswer(v, request);
  });
  return { state, transport };
}

const opened: AllegroClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

function client(
  committee: Committee,
  transports: readonly SidecarTransport[],
  over: Partial<AllegroClientOptions> = {},
): AllegroClient {
  const c = new AllegroClient({
    committee,
    transports,
    account: ALICE_KEY,
    store: new MemoryStore(),
    suite,
    retry: FAST,
    ...over,
  });
  opened.push(c);
  return c;
}

const signers = (qc: { certs: readonly { signer?: { name: string } }[] }) =>
  qc.certs.map((c) => c.signer?.name);

async function failure<E>(promise: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => expect.fail('the payment succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as E;
}

describe('AllegroClient quorum collection', () => {
  it('forms the QC from the honest 3 of 4 while one validator is down, without waiting for the deadline', async () => {
    const { committee, validators } = network(4);
    const c = client(
      committee,
      [honest(validators[0]!), honest(validators[1]!), honest(validators[2]!), down()],
      {
        retry: { ...FAST, deadlineMs: 20_000 },
      },
    );
    const started = performance.now();
    const paid = await c.sendPayment({ to: BOB, amount: 1_000_000n });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(verifyQuorumCertificate(suite, committee, paid.qc).ok).toBe(true);
    expect(signers(paid.qc)).toEqual(['v0', 'v1', 'v2']);
    expect(paid.certs).toHaveLength(3);
    expect(paid.seq).toBe(0n);
  });

  it('keeps paying while a silent validator holds a request of every payment open, without a listener-leak warning', async () => {
    const { committee, validators } = network(4);
    const c = client(
      committee,
      [honest(validators[0]!), honest(validators[1]!), honest(validators[2]!), silent()],
      {
        retry: { ...FAST, deadlineMs: 20_000, attemptTimeoutMs: 20_000 },
      },
    );
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 15; i++) await c.sendPayment({ to: BOB, amount: 1n });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('refuses a forged certificate, reports it as that validator failure and forms the QC from the honest 3 of 4', async () => {
    const { committee, validators, identities } = network(4);
    const events: ClientEvent[] = [];
    const c = client(
      committee,
      [
        honest(validators[0]!),
        honest(validators[1]!),
        honest(validators[2]!),
        forger(identities[3]!, committee),
      ],
      { onEvent: (e) => events.push(e) },
    );
    const paid = await c.sendPayment({ to: BOB, amount: 1_000_000n });
    expect(signers(paid.qc)).toEqual(['v0', 'v1', 'v2']);
    expect(paid.certs.map((cert) => cert.signer?.name)).not.toContain('v3');
    const forged = events.find((e) => e.type === 'invalidCertificate');
    expect(forged).toMatchObject({
      validator: 'v3',
      message: expect.stringContaining("not the committee's key"),
    });
  });

  it('with 7 validators (f = 2) one down and one forging, forms the QC from 5 honest certificates', async () => {
    const { committee, validators, identities } = network(7);
    const transports = validators.map(honest);
    transports[5] = down();
    transports[6] = forger(identities[6]!, committee);
    const paid = await client(committee, transports).sendPayment({ to: BOB, amount: 1_000_000n });
    expect(signers(paid.qc)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(verifyQuorumCertificate(suite, committee, paid.qc).ok).toBe(true);
  });

  it('never counts forged certificates: two forgers of 4 make the quorum impossible', async () => {
    const { committee, validators, identities } = network(4);
    const c = client(committee, [
      honest(validators[0]!),
      honest(validators[1]!),
      forger(identities[2]!, committee),
      forger(identities[3]!, committee),
    ]);
    const error = await failure(c.sendPayment({ to: BOB, amount: 1_000_000n }), PaymentRejectedError);
    expect(error.rejections.map((r) => [r.validator, r.answer.kind])).toEqual([
      ['v2', 'invalidCertificate'],
      ['v3', 'invalidCertificate'],
    ]);
    expect(error.lane).toBe('pending');
  });

  it('stops early once f+1 validators reject for good, naming each with its code and message', async () => {
    const { committee } = network(4);
    const poor = () =>
      inProcessTransport(() => ({
        reject: {
          code: RejectCode.INSUFFICIENT_FUNDS,
          message: 'insufficient funds: available 5, needed 10',
        },
      }));
    const c = client(committee, [poor(), silent(), poor(), silent()], {
      retry: { ...FAST, deadlineMs: 30_000, attemptTimeoutMs: 300 },
    });
    const started = performance.now();
    const error = await failure(c.sendPayment({ to: BOB, amount: 10n }), PaymentRejectedError);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('PAYMENT_REJECTED');
    expect(error).toBeInstanceOf(AllegroClientError);
    expect(
      error.rejections.map((r) => [r.validator, r.answer.kind === 'reject' && RejectCode[r.answer.code]]),
    ).toEqual([
      ['v0', 'INSUFFICIENT_FUNDS'],
      ['v2', 'INSUFFICIENT_FUNDS'],
    ]);
    expect(error.message).toContain('v0: INSUFFICIENT_FUNDS insufficient funds: available 5, needed 10');
    expect(error.message).toContain('v2: INSUFFICIENT_FUNDS');
  });

  it('retries a validator that first answers TEMPORARY_UNAVAILABLE, then counts its certificate', async () => {
    const { committee, validators } = network(4);
    let calls = 0;
    const flaky = inProcessTransport((request) =>
      ++calls === 1
        ? { reject: { code: RejectCode.TEMPORARY_UNAVAILABLE, message: 'busy' } }
        : harnessAnswer(validators[2]!, request),
    );
    const events: ClientEvent[] = [];
    const c = client(committee, [honest(validators[0]!), honest(validators[1]!), flaky, down()], {
      onEvent: (e) => events.push(e),
    });
    const paid = await c.sendPayment({ to: BOB, amount: 1_000_000n });
    expect(signers(paid.qc)).toEqual(['v0', 'v1', 'v2']);
    const v2 = events.filter((e) => 'validator' in e && e.validator === 'v2').map((e) => e.type);
    expect(v2).toEqual(['submitted', 'reject', 'submitted', 'certificate']);
    expect(events.find((e) => e.type === 'reject')).toMatchObject({ willRetry: true, late: false });
    expect(events.filter((e) => e.type === 'qcFormed')).toHaveLength(1);
  });

  it('gives up at the deadline with QuorumTimeoutError listing what each validator answered', async () => {
    const { committee, validators } = network(4);
    const c = client(committee, [honest(validators[0]!), honest(validators[1]!), down(), silent()], {
      retry: { ...FAST, deadlineMs: 300 },
    });
    const error = await failure(c.sendPayment({ to: BOB, amount: 1_000_000n }), QuorumTimeoutError);
    expect(error.code).toBe('QUORUM_TIMEOUT');
    expect(error.reports.map((r) => [r.validator, r.answer.kind])).toEqual([
      ['v0', 'certificate'],
      ['v1', 'certificate'],
      ['v2', 'transportError'],
      ['v3', 'transportError'],
    ]);
    expect(error.message).toContain('2 of 3 certificates');
  });
});

describe('AllegroClient lane sequence', () => {
  const root = mkdtemp(join(tmpdir(), 'allegro-client-'));
  afterAll(async () => rm(await root, { recursive: true, force: true }));

  it('does not consume the sequence of a payment rejected everywhere: the next payment reuses it and succeeds', async () => {
    const { committee, validators } = network(4);
    const c = client(committee, validators.map(honest));
    const error = await failure(c.sendPayment({ to: BOB, amount: 100_000_000n }), PaymentRejectedError);
    expect(error.lane).toBe('released');
    expect(error.seq).toBe(0n);
    expect(await c.laneState()).toEqual({ next: 0n });
    const paid = await c.sendPayment({ to: BOB, amount: 1_000_000n });
    expect(paid.seq).toBe(0n);
    expect(await c.laneState()).toEqual({ next: 1n, previousQc: expect.anything() });
  });

  it('keeps the durable sequence across a client restart on an LMDB store', async () => {
    const { committee, validators } = network(4);
    const spec = `lmdb:${join(await root, 'restart')}`;
    const first = await openStore(spec);
    const before = client(committee, validators.map(honest), { store: first });
    expect((await before.sendPayment({ to: BOB, amount: 1_000_000n })).seq).toBe(0n);
    await before.close();
    await first.close();

    const second = await openStore(spec);
    const after = client(committee, validators.map(honest), { store: second });
    expect((await after.laneState()).next).toBe(1n);
    expect((await after.sendPayment({ to: CAROL, amount: 1_000_000n })).seq).toBe(1n);
    await after.close();
    await second.close();
  });

  it('keeps a partly certified payment pending; the next client on the store finishes it before paying again', async () => {
    const { committee, validators } = network(4);
    const store: Store = new MemoryStore();
    const v2 = switchable(validators[2]!);
    const v3 = switchable(validators[3]!);
    const transports = [honest(validators[0]!), honest(validators[1]!), v2.transport, v3.transport];
    const first = client(committee, transports, { store, retry: { ...FAST, deadlineMs: 200 } });
    const error = await failure(first.sendPayment({ to: BOB, amount: 1_000_000n }), QuorumTimeoutError);
    expect(error.lane).toBe('pending');
    const pending = (await first.laneState()).pending;
    expect(pending && bytesEqual(pending.txHash, error.txHash)).toBe(true);
    await first.close();

    v2.state.up = true;
    v3.state.up = true;
    const formed: { txHash: Uint8Array; seq: bigint }[] = [];
    const restarted = client(committee, transports, {
      store,
      onEvent: (e) => e.type === 'qcFormed' && formed.push(e),
    });
    const paid = await restarted.sendPayment({ to: CAROL, amount: 1_000_000n });
    expect(formed.map((e) => e.seq)).toEqual([0n, 1n]);
    expect(bytesEqual(formed[0]!.txHash, error.txHash)).toBe(true);
    expect(paid.seq).toBe(1n);
    expect(await restarted.laneState()).toEqual({ next: 2n, previousQc: expect.anything() });
  });

  it('refuses to sign a new payment while the pending one can be neither finished nor released', async () => {
    const { committee, validators } = network(4);
    const c = client(committee, [honest(validators[0]!), honest(validators[1]!), down(), down()], {
      retry: { ...FAST, deadlineMs: 150 },
    });
    const first = await failure(c.sendPayment({ to: BOB, amount: 1_000_000n }), QuorumTimeoutError);
    const blocked = await failure(c.sendPayment({ to: CAROL, amount: 1_000_000n }), PendingPaymentError);
    expect(bytesEqual(blocked.txHash, first.txHash)).toBe(true);
    expect(blocked.seq).toBe(0n);
    expect((await c.laneState()).next).toBe(0n);
  });

  it('finishPending returns the QC of the pending payment once enough validators answer', async () => {
    const { committee, validators } = network(4);
    const v3 = switchable(validators[3]!);
    const c = client(committee, [honest(validators[0]!), honest(validators[1]!), down(), v3.transport], {
      retry: { ...FAST, deadlineMs: 150 },
    });
    const stalled = await failure(c.sendPayment({ to: BOB, amount: 1_000_000n }), QuorumTimeoutError);
    await failure(c.finishPending(), PendingPaymentError);
    v3.state.up = true;
    const finished = await c.finishPending();
    expect(finished).toMatchObject({ kind: 'certified', seq: 0n });
    expect(finished.kind === 'certified' && bytesEqual(finished.qc.txHash, stalled.txHash)).toBe(true);
    expect(await c.finishPending()).toEqual({ kind: 'none' });
    expect(await c.laneState()).toEqual({ next: 1n, previousQc: expect.anything() });
  });

  it('supersedes an expired pending payment at the same sequence', async () => {
    const { committee, validators } = network(4);
    let now = Date.now();
    const others = validators.slice(1).map(switchable);
    const c = client(committee, [honest(validators[0]!), ...others.map((o) => o.transport)], {
      now: () => now,
      retry: { ...FAST, deadlineMs: 150 },
    });
    const stale = await failure(
      c.sendPayment({ to: BOB, amount: 1_000_000n, validForMs: 60_000 }),
      QuorumTimeoutError,
    );
    now += 120_000;
    for (const o of others) o.state.up = true;
    const paid = await c.sendPayment({ to: CAROL, amount: 1_000_000n });
    expect(paid.seq).toBe(0n);
    expect(bytesEqual(paid.txHash, stale.txHash)).toBe(false);
    expect(signers(paid.qc)).toEqual(['v1', 'v2', 'v3']);
    expect(
      paid.rejects.map((r) => [r.validator, r.answer.kind === 'reject' && RejectCode[r.answer.code]]),
    ).toEqual([['v0', 'EQUIVOCATION']]);
  });

  it('resyncs a lane its store does not know to the NONCE_SEQ_TOO_LOW "expected N" of a quorum', async () => {
    const { committee, validators } = network(4);
    const settled = createStaticChainView({
      head: { height: 10n, timestampMs: BigInt(Date.now()) },
      balances: [{ account: ALICE, asset: ALPHA_USD, amount: 15_000_000n }],
      nonces: [{ account: ALICE, nonceKey: DEFAULT_LANE.nonceKey, nonce: 5n }],
    });
    for (const v of validators) v.chain = settled;
    const paid = await client(committee, validators.map(honest)).sendPayment({
      to: CAROL,
      amount: 1_000_000n,
    });
    expect(paid.seq).toBe(5n);
  });

  it('moves a fresh lane past sequences a quorum holds, then needs the QC of the one before to pay on it', async () => {
    const { committee, validators } = network(4);
    const earlier = client(committee, validators.map(honest));
    await earlier.sendPayment({ to: BOB, amount: 1_000_000n });
    await earlier.sendPayment({ to: BOB, amount: 1_000_000n });
    const fresh = client(committee, validators.map(honest));
    const refused = await failure(fresh.sendPayment({ to: CAROL, amount: 1_000_000n }), PaymentRejectedError);
    expect(refused.seq).toBe(2n);
    expect(refused.reports.map((r) => r.answer.kind === 'reject' && RejectCode[r.answer.code])).toEqual(
      Array(4).fill('MISSING_PARENT_QC'),
    );
    expect((await fresh.laneState()).next).toBe(2n);
  });

  it('gives concurrent payments of one client consecutive sequences', async () => {
    const { committee, validators } = network(4);
    const c = client(committee, validators.map(honest));
    const paid = await Promise.all([1n, 2n, 3n].map((amount) => c.sendPayment({ to: BOB, amount })));
    expect(paid.map((p) => p.seq)).toEqual([0n, 1n, 2n]);
  });

  it('refuses an invalid payment or a parent QC that does not pay the payer before reserving anything', async () => {
    const { committee, validators } = network(4);
    const c = client(committee, validators.map(honest));
    for (const input of [
      { to: BOB, amount: 0n },
      { to: ALICE, amount: 1n },
    ]) {
      expect((await failure(c.sendPayment(input), AllegroClientError)).code).toBe('INVALID_PAYMENT');
    }
    const bob = client(committee, validators.map(honest), { account: `0x${'22'.repeat(32)}` });
    const toCarol = await bob.sendPayment({ to: CAROL, amount: 1_000_000n });
    const misuse = await failure(
      c.sendPayment({ to: BOB, amount: 1n, parent: toCarol.qc }),
      AllegroClientError,
    );
    expect(misuse.code).toBe('INVALID_PARENT_QC');
    expect(await c.laneState()).toEqual({ next: 0n });
  });
});
