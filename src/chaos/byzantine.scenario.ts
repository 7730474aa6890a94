import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberToBytes } from 'viem';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { AllegroClient } from '../client/allegro-client.ts';
import { buildPayment } from '../client/build-payment.ts';
import { DEFAULT_LANE } from '../client/lane.ts';
import { payerAddress } from '../client/payer-key.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { quorumCertificateHash, verifyQuorumCertificate } from '../protocol/quorum.ts';
import type { EffectsSummary, QuorumCertificate } from '../protocol/types.ts';
import { demoValidators } from '../services/demo/demo-validators.ts';
import { startSidecarCommittee } from '../services/demo/sidecar-committee.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import { BYZANTINE, byzantineMember } from './byzantine-member.ts';
import { certifyAtAll } from './certify-at-all.ts';
import type { ChaosScenario } from './chaos-scenario.ts';

const BALANCE = 1_000_000000n;
const RIVAL = fromHex('0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb', 20);

/**
 * Byzantine members in a committee of 4 (f = 1): 3 honest sidecar processes and one in-process member that
 * forges signatures, signs wrong effects, equivocates, stays silent or answers slowly, one kind at a time. For
 * each kind, payers pay through the client library, then try a conflicting payment of the same sequence at every
 * member, and a payee spends a credit citing a QC whose certificates are forged. Survived when every payment got
 * a QC that verifies against the committee, no conflicting payment got a QC, and no honest sidecar certified a
 * child of a forged QC (while the same child citing the real QC is certified).
 */
export const byzantineScenario: ChaosScenario = {
  name: 'byzantine',
  async run(scale, log) {
    const perKind = scale === 'full' ? 200 : 8;
    const suite = createNodeCryptoSuite();
    const validators = demoValidators(4);
    const byz = validators[3]!;
    const keyOf = (i: number) => numberToBytes(0xb42a00n + BigInt(i), { size: 32 });
    const payers = BYZANTINE.length * perKind * 2;
    const dir = await mkdtemp(join(tmpdir(), 'allegro-chaos-byzantine-'));
    const balances = join(dir, 'balances.json');
    await writeFile(
      balances,
      JSON.stringify(
        Array.from({ length: payers }, (_, i) => ({
          account: toHex(payerAddress(keyOf(i))),
          asset: toHex(ALPHA_USD),
          amount: String(BALANCE),
        })),
      ),
    );
    const sidecars = await startSidecarCommittee({
      validators,
      chainId: 1337n,
      epoch: 1n,
      dir,
      flags: ['--balances', balances, '--gossip-interval-ms', '200'],
      down: new Set([byz.name]),
    });
    const committee = sidecars.committee;
    const honest = committee.members.slice(0, 3).map((m) => grpcTransport(m.url!));
    const known = new Map<string, { effects?: EffectsSummary; txHash: Uint8Array }>();
    const counts = {
      payments: 0,
      qcs: 0,
      invalidQcs: 0,
      conflictingQcs: 0,
      forgedChildren: 0,
      realChildren: 0,
    };
    const failures: string[] = [];
    try {
      for (const [k, kind] of BYZANTINE.entries()) {
        const member = byzantineMember(kind, suite, committee, byz, honest[0]!, (tx) => known.get(tx));
        const transports = [...honest, member];
        const started = Date.now();
        const closing: Promise<void>[] = [];
        for (let j = 0; j < perKind; j++) {
          const payer = keyOf((k * perKind + j) * 2);
          const payee = keyOf((k * perKind + j) * 2 + 1);
          const client = new AllegroClient({
            committee,
            transports,
            account: payer,
            store: new MemoryStore(),
            // The three honest members must all answer: on a loaded machine give them time, not a failed payment.
            retry: { deadlineMs: 30_000, attemptTimeoutMs: 10_000 },
          });
          counts.payments++;
          const paid = await client
            .sendPayment({ to: payerAddress(payee), amount: BALANCE / 2n })
            .catch((e: Error) => {
              failures.push(`${kind}: payment ${j}: ${e.message}`);
              return undefined;
            });
          // Its background retries of a silent member end on their own deadline; wait for them once per kind.
          closing.push(client.close());
          if (!paid) continue;
          counts.qcs++;
          if (!verifyQuorumCertificate(suite, committee, paid.qc).ok) counts.invalidQcs++;

          // The same sequence to another recipient: only an equivocating member signs it; never a QC.
          const rival = buildPayment({
            suite,
            account: payer,
            to: RIVAL,
            amount: 1n,
            asset: ALPHA_USD,
            chainId: 1337n,
            lane: DEFAULT_LANE,
            seq: paid.seq,
            validBefore: BigInt(Math.floor(Date.now() / 1000) + 60),
          });
          known.set(toHex(rival.tx.tempoTx!), {
            effects: { ...paid.qc.certs[0]!.effects!, recipient: RIVAL, amount: 1n },
            txHash: rival.txHash,
          });
          if ((await certifyAtAll(transports, committee, rival.tx, [], [], 2_000)).qc)
            counts.conflictingQcs++;

          // The payee spends beyond its own balance on the credit: citing a forged QC, then the real one.
          const child = buildPayment({
            suite,
            account: payee,
            to: RIVAL,
            amount: BALANCE + BALANCE / 4n,
            asset: ALPHA_USD,
            chainId: 1337n,
            lane: DEFAULT_LANE,
            seq: 0n,
            validBefore: BigInt(Math.floor(Date.now() / 1000) + 60),
          });
          const forged = forgeQc(suite, paid.qc);
          const withForged = await certifyAtAll(
            honest,
            committee,
            { ...child.tx, parentQcHash: forged.qcHash },
            [forged],
            [paid.tx],
          );
          counts.forgedChildren += withForged.certs;
          const childTx = { ...child.tx, parentQcHash: paid.qc.qcHash };
          const withReal = await certifyAtAll(honest, committee, childTx, [paid.qc], [paid.tx]);
          if (withReal.qc) counts.realChildren++;
        }
        const paidIn = Date.now() - started;
        await Promise.all(closing);
        member.close();
        log(
          `${kind}: ${counts.qcs}/${counts.payments} QCs so far, ${counts.invalidQcs} invalid, ${counts.conflictingQcs} conflicting, ` +
            `${counts.forgedChildren} certificates for children of forged QCs, ${counts.realChildren} real children QC'd (paid in ${paidIn} ms)`,
        );
      }
    } finally {
      for (const t of honest) t.close();
      await sidecars.stop();
      await rm(dir, { recursive: true, force: true });
    }
    for (const f of failures.slice(0, 5)) log(f);
    const ok =
      counts.qcs === counts.payments &&
      counts.invalidQcs === 0 &&
      counts.conflictingQcs === 0 &&
      counts.forgedChildren === 0 &&
      counts.realChildren === counts.qcs;
    return {
      scenario: 'Byzantine member in a committee of 4',
      fault: `one of ${BYZANTINE.join(', ')} beside 3 honest sidecars, ${perKind} payers each`,
      ok,
      figures:
        `${counts.qcs}/${counts.payments} payments QC'd, ${counts.invalidQcs} invalid QCs accepted by the client, ` +
        `${counts.conflictingQcs} conflicting QCs, ${counts.forgedChildren} certificates for children citing a forged QC ` +
        `(${counts.realChildren} children citing the real QC certified)`,
      details: { ...counts, failures: failures.slice(0, 5) },
    };
  },
};

/** The QC with every signature replaced (and its qc_hash recomputed): same signers and hashes, signed by nobody. */
function forgeQc(suite: CryptoSuite, qc: QuorumCertificate): QuorumCertificate {
  const forged = { ...qc, certs: qc.certs.map((c) => ({ ...c, signature: new Uint8Array(64).fill(0x5a) })) };
  return { ...forged, qcHash: quorumCertificateHash(suite, forged)! };
}
