import { numberToBytes } from 'viem';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { buildPayment } from '../client/build-payment.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { FastPayTx, QuorumCertificate } from '../protocol/types.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';
import { awaitReceipts } from './await-receipts.ts';
import { certifyAtAll } from './certify-at-all.ts';
import { startChainCommittee } from './chain-committee.ts';
import { chaosPayers } from './chaos-payers.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import { type PartitionPhase, startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const PAYERS = 8;
const INITIAL = 10_000000n;
/** Per-attempt deadline while partitioned: a cut-off sidecar costs this, not the full 15 s. */
const PARTITIONED_TIMEOUT_MS = 2_000;

/** Which sidecars the payers cannot reach in one phase, and how (blackhole: calls hang; refuse: cut at once). */
const PHASES: readonly PartitionPhase<readonly number[]>[] = [
  { name: 'one sidecar blackholed', cut: [3], mode: 'blackhole' },
  { name: 'one sidecar refusing', cut: [0], mode: 'refuse' },
  { name: 'two sidecars blackholed (no quorum)', cut: [1, 2], mode: 'blackhole' },
];

interface Payment {
  readonly tx: FastPayTx;
  readonly parentQcs: readonly QuorumCertificate[];
  qc?: QuorumCertificate;
}

/**
 * Partitions between payers and the sidecars (a TCP proxy in front of each of 4 chain-following sidecars on a
 * devnet), `rounds` times each: one sidecar blackholed, one refusing, two blackholed so no quorum can form; then
 * healed (connections cut once, so clients reconnect) and every payment that got no QC is submitted again.
 * Survived when no payment is lost: every QC'd payment lands with success, and each one that got no QC (a
 * quorum was out of reach) gets it after healing or lands anyway, forwarded by the sidecars that certified it.
 */
export const partitionScenario: ChaosScenario = {
  name: 'partition',
  async run(scale, log) {
    const rounds = scale === 'full' ? 5 : 1;
    const suite = createNodeCryptoSuite();
    const { keys, addresses, accounts } = chaosPayers(PAYERS, INITIAL);
    const net = await startChainCommittee(accounts, 1_000_000000n);
    const proxies: TcpProxy[] = [];
    const payments: Payment[] = [];
    const seqs = keys.map(() => 0n);
    const lastQc: (QuorumCertificate | undefined)[] = keys.map(() => undefined);
    let qcDuringPartition = 0;
    let qcAfterHeal = 0;
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3_000);
    try {
      for (const m of net.sidecars.committee.members)
        proxies.push(await startTcpProxy(Number(new URL(m.url!).port)));
      const transports: SidecarTransport[] = proxies.map((p) => grpcTransport(`127.0.0.1:${p.port}`));
      const certify = async (p: Payment, timeoutMs: number) => {
        const { qc } = await certifyAtAll(
          transports,
          net.sidecars.committee,
          p.tx,
          p.parentQcs,
          [],
          timeoutMs,
        );
        if (qc) p.qc = qc;
        return qc;
      };
      try {
        for (let round = 1; round <= rounds; round++) {
          for (const phase of PHASES) {
            for (const i of phase.cut) proxies[i]!.mode = phase.mode;
            const pending = await Promise.all(
              keys.map(async (key, i) => {
                const { tx } = buildPayment({
                  suite,
                  account: key,
                  to: addresses[(i + 1) % PAYERS]!,
                  amount: 1_000n,
                  asset: ALPHA_USD,
                  chainId: 1337n,
                  lane: { nonceKey: numberToBytes(1n, { size: 32 }) },
                  seq: seqs[i]!,
                  validBefore,
                });
                const payment: Payment = { tx, parentQcs: lastQc[i] ? [lastQc[i]!] : [] };
                payments.push(payment);
                seqs[i]!++;
                if (await certify(payment, PARTITIONED_TIMEOUT_MS)) qcDuringPartition++;
                return { payment, i };
              }),
            );
            // Healing: connections through the cut are reset and the payers dial again (a fresh channel, not one
            // waiting out its reconnect backoff).
            for (const i of phase.cut) {
              proxies[i]!.mode = 'refuse';
              proxies[i]!.mode = 'pass';
              transports[i]!.close();
              transports[i] = grpcTransport(`127.0.0.1:${proxies[i]!.port}`);
            }
            for (const { payment, i } of pending) {
              if (!payment.qc && (await certify(payment, 15_000))) qcAfterHeal++;
              lastQc[i] = payment.qc;
            }
            log(
              `round ${round}, ${phase.name}: ${pending.filter((p) => p.payment.qc).length}/${pending.length} QC'd (after healing included)`,
            );
          }
        }
      } finally {
        for (const t of transports) t.close();
      }
      // A payment certified by the reachable side only may still land: its certifiers forward it.
      const receipts = await awaitReceipts(net.chain, payments, 120_000);
      const qcd = payments.filter((p) => p.qc);
      const landed = qcd.filter((p) => receipts.get(p)?.success).length;
      const landedWithoutQc = payments.filter((p) => !p.qc && receipts.get(p)?.success).length;
      const lost = payments.length - landed - landedWithoutQc;
      return {
        scenario: 'Partitions between payers and sidecars',
        fault: `${rounds} × (${PHASES.map((p) => p.name).join('; ')}), each healed`,
        ok: lost === 0 && landed === qcd.length,
        figures:
          `${payments.length} payments: ${qcDuringPartition} QC'd during partitions, ${qcAfterHeal} after healing, ` +
          `${landedWithoutQc} landed without a QC (forwarded by their certifiers); ${landed}/${qcd.length} QC'd ` +
          `payments landed, ${lost} payments lost`,
        details: { payments: payments.length, qcDuringPartition, qcAfterHeal, landedWithoutQc, landed, lost },
      };
    } finally {
      for (const p of proxies) await p.close();
      await net.stop();
    }
  },
};
