import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AllegroClient } from '../../src/client/allegro-client.ts';
import { PaymentRejectedError } from '../../src/client/errors.ts';
import { bytesEqual } from '../../src/protocol/bytes.ts';
import { verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { grpcTransport } from '../../src/wire/grpc-transport.ts';
import type { SidecarTransport } from '../../src/wire/sidecar-transport.ts';
import { TransportError } from '../../src/wire/transport-error.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { ALICE, ALICE_KEY, BOB, BOB_KEY, CAROL, CAROL_KEY, DAVE, EDGAR } from '../support/demo-keys.ts';
import { demoChainView, harnessAnswer, serveSidecar } from '../support/harness-sidecar.ts';
import { committeeOf, HarnessValidator, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);

const request = { tx: undefined, parentQcs: [] };

describe('payer client over gRPC on 127.0.0.1', () => {
  const sidecars: { url: string; stop: () => void }[] = [];
  const transports: SidecarTransport[] = [];
  const clients: AllegroClient[] = [];

  beforeAll(async () => {
    for (const identity of [DAVE, EDGAR]) {
      const validator = new HarnessValidator(identity, committee, demoChainView());
      sidecars.push(await serveSidecar((r) => harnessAnswer(validator, r)));
    }
    transports.push(...sidecars.map((s) => grpcTransport(s.url)));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const t of transports) t.close();
    for (const s of sidecars) s.stop();
  });

  const payer = (account: `0x${string}`) => {
    const c = new AllegroClient({ committee, transports, account, store: new MemoryStore(), suite });
    clients.push(c);
    return c;
  };

  it('chains Alice → Bob → Carol through two sidecars running the real decision (2-of-2)', async () => {
    const alice = payer(ALICE_KEY);
    const bob = payer(BOB_KEY);
    const toBob = await alice.sendPayment({ to: BOB, amount: 10_000_000n });
    expect(verifyQuorumCertificate(suite, committee, toBob.qc).ok).toBe(true);
    expect(toBob.qc.certs.map((c) => c.signer?.name)).toEqual(['Dave', 'Edgar']);

    const unfunded = await bob.sendPayment({ to: CAROL, amount: 12_000_000n }).catch((e: unknown) => e);
    expect(unfunded).toBeInstanceOf(PaymentRejectedError);
    expect((unfunded as PaymentRejectedError).lane).toBe('released');
    expect(
      (unfunded as PaymentRejectedError).rejections.map((r) => r.answer.kind === 'reject' && r.answer.code),
    ).toEqual([RejectCode.INSUFFICIENT_FUNDS, RejectCode.INSUFFICIENT_FUNDS]);

    const toCarol = await bob.sendPayment({
      to: CAROL,
      amount: 12_000_000n,
      parent: toBob.qc,
      parentTx: toBob.tx,
    });
    expect(toCarol.seq).toBe(0n);
    expect(verifyQuorumCertificate(suite, committee, toCarol.qc).ok).toBe(true);
    const cited = toCarol.certs[0]!;
    expect(bytesEqual(cited.txHash, toCarol.txHash)).toBe(true);

    const carol = payer(CAROL_KEY);
    const onward = await carol.sendPayment({
      to: ALICE,
      amount: 17_000_000n,
      parent: toCarol.qc,
      parentTx: toCarol.tx,
    });
    expect(onward.certs).toHaveLength(2);
  });

  it('reports an unreachable sidecar as a transient UNAVAILABLE TransportError', async () => {
    const gone = await serveSidecar(() => expect.fail('not reached'));
    gone.stop();
    const transport = grpcTransport(gone.url);
    const error = await transport.submit(request, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    transport.close();
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ transient: true, status: 'UNAVAILABLE' });
  });

  it('reports a sidecar that does not answer in time as a transient DEADLINE_EXCEEDED TransportError', async () => {
    const hanging = await serveSidecar(
      (_r, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    );
    const transport = grpcTransport(hanging.url.replace('http://', ''));
    const error = await transport.submit(request, { timeoutMs: 200 }).catch((e: unknown) => e);
    transport.close();
    hanging.stop();
    expect(error).toMatchObject({ transient: true, status: 'DEADLINE_EXCEEDED' });
  });

  it('refuses an https URL without TLS settings', () => {
    expect(() => grpcTransport('https://127.0.0.1:1')).toThrow(WireError);
  });
});
