import { numberToBytes } from 'viem';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { buildEscrowPayment } from '../client/build-escrow-payment.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { FastPayTx, QuorumCertificate } from '../protocol/types.ts';
import { awaitEach } from './await-each.ts';
import { certifyAtAll } from './certify-at-all.ts';
import { type PeerLink, startChainCommittee } from './chain-committee.ts';
import { chaosPayers } from './chaos-payers.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import type { PartitionPhase } from './tcp-proxy.ts';

const INITIAL = 10_000000n;
const PARENT_LANE = numberToBytes(1n, { size: 32 });
const CHILD_LANE = numberToBytes(2n, { size: 32 });

/** Which peer links are cut in one phase (a link is one sidecar pulling another's board), and how. */
const PHASES: readonly PartitionPhase<(link: PeerLink) => boolean>[] = [
  {
    name: 'sidecar 3 isolated from its peers (blackholed)',
    cut: (l) => l.from === 3 || l.to === 3,
    mode: 'blackhole',
  },
  { name: 'split 2|2 (refused)', cut: (l) => l.from < 2 !== l.to < 2, mode: 'refuse' },
  { name: 'every peer link blackholed', cut: () => true, mode: 'blackhole' },
];

interface Payment {
  readonly tx: FastPayTx;
  readonly paymentId: Uint8Array;
  qc?: QuorumCertificate;
}

/**
 * Partitions between sidecars, in ESCROWED mode: each sidecar pulls each peer's board through a proxy of its own
 * (payers dial the sidecars directly), and a payment settles only with 2f+1 settlement signatures, which a sidecar
 * learns of its peers by gossip (in LOCKED mode each certifier sends the signed tx itself: peer links carry nothing a
 * QC or a settlement needs). Per phase, payer pairs pay each other (a parent, then a child citing the parent's QC,
 * formed during the cut) while the phase's links are cut and held so; then healed. QCs need no peer link; what
 * settles during the cut shows which side still holds 2f+1 signatures. Survived when every payment gets its QC and
 * every QC'd payment settles in the escrow once healed: none lost.
 */
export const peerPartitionScenario: ChaosScenario = {
  name: 'peer-partition',
  async run(scale, log) {
    const rounds = scale === 'full' ? 3 : 1;
    const pairs = scale === 'full' ? 4 : 2;
    const phases = scale === 'full' ? PHASES : PHASES.slice(0, 2);
    const holdMs = scale === 'full' ? 8_000 : 5_000;
    const suite = createNodeCryptoSuite();
    const { keys, addresses, accounts } = chaosPayers(2 * pairs, INITIAL);
    const net = await startChainCommittee(accounts, 1_000_000000n, { escrow: true, proxiedPeerLinks: true });
    try {
      const escrow = net.escrow!;
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 1_800);
      const seqs = keys.map(() => 0n);
      const payments: Payment[] = [];
      const isSettled = async (p: Payment) => (await escrow.isSettled(p.paymentId)) || undefined;
      const pay = async (from: number, to: number, parent?: Payment): Promise<Payment> => {
        const built = buildEscrowPayment({
          suite,
          account: keys[from]!,
          domain: escrow.domain,
          to: addresses[to]!,
          amount: 1_000n,
          asset: ALPHA_USD,
          lane: { nonceKey: parent ? CHILD_LANE : PARENT_LANE },
          seq: seqs[from]!,
          deadline,
          ...(parent?.qc ? { parent: { qc: parent.qc, paymentId: parent.paymentId } } : {}),
        });
        const payment: Payment = { tx: built.tx, paymentId: built.paymentId };
        payments.push(payment);
        const { qc } = await certifyAtAll(
          net.transports,
          net.sidecars.committee,
          built.tx,
          parent?.qc ? [parent.qc] : [],
        );
        if (qc) payment.qc = qc;
        return payment;
      };
      let settledDuringCuts = 0;
      let dropped = 0;
      const healMs: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        for (const phase of phases) {
          const links = net.peerLinks.filter(phase.cut);
          const droppedBefore = links.reduce((n, l) => n + l.proxy.dropped, 0);
          for (const l of links) l.proxy.mode = phase.mode;
          const cutAt = Date.now();
          // Even payer pays the next; the payee spends at once from a second lane, citing that QC.
          const phasePayments = (
            await Promise.all(
              Array.from({ length: pairs }, async (_, p) => {
                const parent = await pay(2 * p, 2 * p + 1);
                seqs[2 * p]!++;
                const child = await pay(2 * p + 1, 2 * p, parent);
                seqs[2 * p + 1]!++;
                return [parent, child];
              }),
            )
          ).flat();
          await new Promise((r) => setTimeout(r, Math.max(0, holdMs - (Date.now() - cutAt))));
          const duringCut = (await awaitEach(phasePayments, isSettled, 0)).size;
          settledDuringCuts += duringCut;
          dropped += links.reduce((n, l) => n + l.proxy.dropped, 0) - droppedBefore;
          // Healing: connections through the cut are reset, so pulls hung in a blackhole fail and are retried.
          for (const l of links) {
            l.proxy.mode = 'refuse';
            l.proxy.mode = 'pass';
          }
          const healedAt = Date.now();
          const qcd = phasePayments.filter((p) => p.qc);
          const after = await awaitEach(qcd, isSettled, 60_000);
          if (after.size === qcd.length) healMs.push(Date.now() - healedAt);
          log(
            `round ${round}, ${phase.name}: ${qcd.length}/${phasePayments.length} QC'd during the cut, ` +
              `${duringCut} settled during the cut (${holdMs / 1000} s), ${after.size}/${qcd.length} settled ` +
              `${((Date.now() - healedAt) / 1000).toFixed(1)} s after healing`,
          );
        }
      }
      const qcd = payments.filter((p) => p.qc);
      const landed = (await awaitEach(qcd, isSettled, 0)).size;
      const lost = payments.length - landed;
      const slowestHealMs = Math.max(0, ...healMs);
      return {
        scenario: 'Partitions between sidecars (escrow settlement)',
        fault: `${rounds} × (${phases.map((p) => p.name).join('; ')}), each held ${holdMs / 1000} s while payers pay, then healed`,
        ok: lost === 0 && landed === qcd.length && qcd.length === payments.length,
        figures:
          `${payments.length} payments (${payments.length / 2} chained on a parent QC'd during the cut): ` +
          `${qcd.length} QC'd during cuts, ${settledDuringCuts} settled during cuts, ${dropped} gossip chunks or ` +
          `connections dropped; ${landed}/${qcd.length} settled in all, the slowest phase all settled ${(slowestHealMs / 1000).toFixed(1)} s after healing; ` +
          `${lost} payments lost`,
        details: {
          payments: payments.length,
          qcd: qcd.length,
          settledDuringCuts,
          dropped,
          landed,
          lost,
          slowestHealMs,
        },
      };
    } finally {
      await net.stop();
    }
  },
};
