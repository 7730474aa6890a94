import { numberToBytes } from 'viem';
import type { ChainReceipt } from '../chain/chain-port.ts';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { buildPayment } from '../client/build-payment.ts';
import { toHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { FastPayTx, QuorumCertificate } from '../protocol/types.ts';
import { startAggregatorProcess } from '../services/aggregator/aggregator-process.ts';
import { awaitEach } from './await-each.ts';
import { awaitReceipts } from './await-receipts.ts';
import { certifyAtAll } from './certify-at-all.ts';
import { startChainCommittee } from './chain-committee.ts';
import { chaosPayers } from './chaos-payers.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import { type PartitionPhase, startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

const INITIAL = 10_000000n;
/** How long the aggregator gets after healing to show a phase's payments FINALIZED (it takes about a second). */
const CATCH_UP_MS = 20_000;

/** Which of the aggregator's sidecar links are cut in one phase, and how. */
const PHASES: readonly PartitionPhase<readonly number[]>[] = [
  { name: 'one link blackholed', cut: [3], mode: 'blackhole' },
  { name: 'two links refused', cut: [0, 1], mode: 'refuse' },
  { name: 'every link blackholed', cut: [0, 1, 2, 3], mode: 'blackhole' },
];

/** What the aggregator's REST API says of a payment; undefined while it does not know it. */
interface Status {
  readonly stage: string;
  readonly block_number?: string;
  readonly block_hash?: string;
}

/** Stages that say a payment will not land: the chain contradicts them for a payment that landed. */
const FAILED_STAGES = new Set(['REJECTED', 'EXPIRED', 'FAILED']);

interface Payment {
  readonly tx: FastPayTx;
  readonly txHash: Uint8Array;
  qc?: QuorumCertificate;
}

/**
 * Partitions between the aggregator (its own process, reading the chain itself) and the sidecars (a TCP proxy in
 * front of each, used by the aggregator only): per phase, some or all of its links are cut while payers submit to
 * the sidecars directly and the payments land; then healed. The aggregator learns of a payment only from the
 * sidecars' boards, so a payment may stay unknown to it during a cut. Survived when, once healed, the aggregator
 * shows every QC'd payment FINALIZED in the block the chain included it in, none missing, and no stage it reported
 * at any time said a payment that landed would not.
 */
export const aggregatorPartitionScenario: ChaosScenario = {
  name: 'aggregator-partition',
  async run(scale, log) {
    const rounds = scale === 'full' ? 3 : 1;
    const payers = scale === 'full' ? 8 : 4;
    const holdMs = scale === 'full' ? 8_000 : 5_000;
    const suite = createNodeCryptoSuite();
    const { keys, addresses, accounts } = chaosPayers(payers, INITIAL);
    const net = await startChainCommittee(accounts, 1_000_000000n);
    const proxies: TcpProxy[] = [];
    let aggregator: Awaited<ReturnType<typeof startAggregatorProcess>> | undefined;
    try {
      for (const m of net.sidecars.committee.members)
        proxies.push(await startTcpProxy(Number(new URL(m.url!).port)));
      aggregator = await startAggregatorProcess(
        [
          ...['--sidecars', proxies.map((p) => `http://127.0.0.1:${p.port}`).join(',')],
          ...['--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
          ...['--chain-id', '1337', '--epoch', '1', '--store', 'memory', '--finality-depth', '1'],
          ...['--rpc-url', net.devnet.rpcUrl, '--ws-url', net.devnet.wsUrl],
        ],
        // Info level: its readiness is the "aggregator listening" line.
        { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' } },
      );
      const { httpUrl } = aggregator;
      const contradicted = new Set<Payment>();
      const status = async (p: Payment): Promise<Status | undefined> => {
        const res = await fetch(`${httpUrl}/api/v1/tx/${toHex(p.txHash)}/status?compat=allegro`);
        if (res.status === 404) return undefined;
        if (!res.ok) throw new Error(`aggregator answered ${res.status}`);
        const s = (await res.json()) as Status;
        if (FAILED_STAGES.has(s.stage)) contradicted.add(p);
        return s;
      };
      const finalized = async (p: Payment) => {
        const s = await status(p);
        return s?.stage === 'FINALIZED' ? s : undefined;
      };
      const payments: Payment[] = [];
      const seqs = keys.map(() => 0n);
      const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3_000);
      const seenDuringCuts: (Status | undefined)[] = [];
      const catchUpMs: number[] = [];
      for (let round = 1; round <= rounds; round++) {
        for (const phase of PHASES) {
          for (const i of phase.cut) proxies[i]!.mode = phase.mode;
          const cutAt = Date.now();
          const phasePayments = await Promise.all(
            keys.map(async (key, i) => {
              const built = buildPayment({
                suite,
                account: key,
                to: addresses[(i + 1) % payers]!,
                amount: 1_000n,
                asset: ALPHA_USD,
                chainId: 1337n,
                lane: { nonceKey: numberToBytes(1n, { size: 32 }) },
                seq: seqs[i]!++,
                validBefore,
              });
              const payment: Payment = { tx: built.tx, txHash: built.txHash };
              payments.push(payment);
              const { qc } = await certifyAtAll(net.transports, net.sidecars.committee, built.tx);
              if (qc) payment.qc = qc;
              return payment;
            }),
          );
          const qcd = phasePayments.filter((p) => p.qc);
          // The payments land while the links stay cut; what the aggregator shows at the end of the cut:
          await awaitReceipts(net.chain, qcd, holdMs);
          await new Promise((r) => setTimeout(r, Math.max(0, holdMs - (Date.now() - cutAt))));
          const seen = await Promise.all(qcd.map((p) => status(p).catch(() => undefined)));
          seenDuringCuts.push(...seen);
          // Healing: connections through the cut are reset and the aggregator dials again.
          for (const i of phase.cut) {
            proxies[i]!.mode = 'refuse';
            proxies[i]!.mode = 'pass';
          }
          const healedAt = Date.now();
          const caught = await awaitEach(qcd, finalized, CATCH_UP_MS);
          const tookMs = Date.now() - healedAt;
          if (caught.size === qcd.length) catchUpMs.push(tookMs);
          log(
            `round ${round}, ${phase.name}: ${qcd.length}/${phasePayments.length} QC'd; aggregator at the end of the ` +
              `${holdMs / 1000} s cut: ${stageList(seen)}; ${caught.size}/${qcd.length} FINALIZED ` +
              `${(tookMs / 1000).toFixed(1)} s after healing`,
          );
        }
      }
      const qcd = payments.filter((p) => p.qc);
      const receipts = await awaitReceipts(net.chain, qcd, 120_000);
      const landed = qcd.filter((p) => receipts.get(p)?.success);
      const shown = await awaitEach(qcd, finalized, 2_000);
      const last = await Promise.all(qcd.map((p) => shown.get(p) ?? status(p).catch(() => undefined)));
      const missing = last.filter((s) => s === undefined).length;
      const wrongBlock = landed.filter(
        (p) => shown.has(p) && !sameBlock(shown.get(p)!, receipts.get(p)!),
      ).length;
      const lied = landed.filter((p) => contradicted.has(p)).length;
      const slowestCatchUpMs = Math.max(0, ...catchUpMs);
      return {
        scenario: 'Partitions between the aggregator and sidecars',
        fault: `${rounds} × (${PHASES.map((p) => p.name).join('; ')}), each held ${holdMs / 1000} s while payments land, then healed`,
        ok:
          qcd.length === payments.length &&
          landed.length === qcd.length &&
          shown.size === qcd.length &&
          wrongBlock === 0 &&
          lied === 0,
        figures:
          `${payments.length} payments, ${qcd.length} QC'd, ${landed.length} landed; aggregator at the end of cuts: ` +
          `${stageList(seenDuringCuts)}; after healing ${stageList(last)} (${catchUpMs.length}/${rounds * PHASES.length} ` +
          `phases caught up, slowest in ${(slowestCatchUpMs / 1000).toFixed(1)} s), ${missing} missing, ${wrongBlock} in another block than the ` +
          `chain's, ${lied} ever shown failed though landed`,
        details: {
          payments: payments.length,
          qcd: qcd.length,
          landed: landed.length,
          stagesDuringCuts: Object.fromEntries(countStages(seenDuringCuts)),
          stagesAfterHealing: Object.fromEntries(countStages(last)),
          finalized: shown.size,
          missing,
          wrongBlock,
          lied,
          slowestCatchUpMs,
        },
      };
    } finally {
      await aggregator?.stop();
      for (const p of proxies) await p.close();
      await net.stop();
    }
  },
};

/** How many payments the aggregator shows in each stage ('unknown' when it does not know them). */
function countStages(statuses: readonly (Status | undefined)[]): Map<string, number> {
  const stages = new Map<string, number>();
  for (const s of statuses) stages.set(s?.stage ?? 'unknown', (stages.get(s?.stage ?? 'unknown') ?? 0) + 1);
  return stages;
}

/** "FINALIZED 6, unknown 2". */
function stageList(statuses: readonly (Status | undefined)[]): string {
  return [...countStages(statuses)].map(([stage, n]) => `${stage} ${n}`).join(', ');
}

/** The aggregator names the block the chain included the payment in. */
function sameBlock(status: Status, receipt: ChainReceipt): boolean {
  return (
    status.block_number === receipt.blockNumber.toString() &&
    status.block_hash?.toLowerCase() === toHex(receipt.blockHash).toLowerCase()
  );
}
