import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { toHex } from '../protocol/bytes.ts';
import type { BenchFigure } from './bench-figure.ts';
import type { BenchNetwork } from './bench-network.ts';
import { percentile } from './percentile.ts';
import { cdfPoints, svgLineChart } from './svg-line-chart.ts';

const QUERY = `subscription { qcFormed {
  txHash stage sender recipient amount sequence qcHash blockAtQc
  stageTimes { stage at }
  certificates { validator { name } signature createdUnixMillis }
} }`;

type QcEvent = { qcFormed: { txHash: string; stageTimes: { stage: string; at: string }[] } };

/** Subscriptions per WebSocket connection (the server allows 100). */
const PER_CONNECTION = 10;
const TARGET_P99_MS = 50;

/** Reads the aggregator's live-subscription gauge from /metrics. */
async function liveSubscriptions(httpUrl: string): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(/^allegro_graphql_live_subscriptions (\d+)/m.exec(text)?.[1] ?? 0);
}

/** Resolves once `check` is true, polling every 50 ms; rejects after `ms` with `what`. */
async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * P4: one QC event to `subscribers` graphql-ws subscriptions of `qcFormed` on one aggregator. A subscriber's
 * latency is its arrival time minus the aggregator's own QC_FORMED stage time (same host, same clock, 1 ms
 * resolution). A first payment proves every subscription live; `events` more are measured, one at a time.
 * The subscribers run in this process, so their own parsing is part of the figure. Target p99 ≤ 50 ms.
 */
export async function fanoutFigure(
  network: BenchNetwork,
  subscribers: number,
  events: number,
): Promise<BenchFigure> {
  const { aggregator } = network;
  const payer = network.payers[1] ?? network.payers[0]!;
  const arrivals = new Map<string, number[]>();
  const serverQcAt = new Map<string, number>();
  const clients: Client[] = [];
  const url = aggregator.graphqlUrl.replace('http://', 'ws://');
  try {
    for (let c = 0; c * PER_CONNECTION < subscribers; c++) {
      const client = createClient({ url, webSocketImpl: WebSocket, lazy: false, retryAttempts: 0 });
      clients.push(client);
      for (let s = 0; s < PER_CONNECTION && c * PER_CONNECTION + s < subscribers; s++) {
        client.subscribe<QcEvent>(
          { query: QUERY },
          {
            next: ({ data }) => {
              const now = Date.now();
              if (!data) return;
              const { txHash, stageTimes } = data.qcFormed;
              const at = stageTimes.find((t) => t.stage === 'QC_FORMED')?.at;
              if (at !== undefined) serverQcAt.set(txHash, Number(at));
              const list = arrivals.get(txHash) ?? [];
              list.push(now);
              arrivals.set(txHash, list);
            },
            error: () => undefined,
            complete: () => undefined,
          },
        );
      }
    }
    await until(
      async () => (await liveSubscriptions(aggregator.httpUrl)) >= subscribers,
      60_000,
      `${subscribers} live subscriptions`,
    );
    const delivered = async (txHash: string) =>
      until(() => (arrivals.get(txHash)?.length ?? 0) >= subscribers, 60_000, `${txHash} delivered`);
    const warm = await payer.sendPayment({ to: network.recipient, amount: 1n });
    await delivered(toHex(warm.txHash));
    const latencies: number[] = [];
    const perEvent: { p50: number; p99: number; max: number }[] = [];
    for (let e = 0; e < events; e++) {
      const paid = await payer.sendPayment({ to: network.recipient, amount: 1n });
      const txHash = toHex(paid.txHash);
      await delivered(txHash);
      const qcAt = serverQcAt.get(txHash)!;
      const these = arrivals.get(txHash)!.map((t) => t - qcAt);
      latencies.push(...these);
      perEvent.push({ p50: percentile(these, 50), p99: percentile(these, 99), max: Math.max(...these) });
    }
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return {
      id: 'p4',
      title: `one QC event to ${subscribers} graphql-ws subscribers`,
      target: `p99 ≤ ${TARGET_P99_MS} ms`,
      measured: `p50 ${p50} ms, p99 ${p99} ms (${events} events)`,
      ratio: TARGET_P99_MS / Math.max(p99, 1),
      details: {
        subscribers,
        connections: clients.length,
        events,
        p50Ms: p50,
        p99Ms: p99,
        perEvent,
        clock:
          'arrival (bench process) minus the aggregator QC_FORMED stage time, same host, 1 ms resolution',
      },
      plots: [
        {
          name: 'p4-fanout-cdf',
          svg: svgLineChart({
            title: `QC event → ${subscribers} graphql-ws subscribers`,
            xLabel: 'milliseconds after the aggregator formed the QC',
            yLabel: 'fraction of subscribers',
            series: [{ label: `${latencies.length} deliveries`, points: cdfPoints(latencies) }],
            marks: [],
          }),
        },
      ],
    };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
  }
}
