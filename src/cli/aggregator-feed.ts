import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { subscribeData } from '../graphql/subscribe-data.ts';

interface FeedPayment {
  readonly txHash: string;
  readonly stage: string;
  readonly sender: string;
  readonly recipient: string;
  readonly blockAtQc: string | null;
  readonly certificates: readonly unknown[];
  readonly inclusion: { readonly blockNumber: string } | null;
}

const FIELDS = 'txHash stage sender recipient blockAtQc certificates { signature } inclusion { blockNumber }';

/** A running feed; `close` ends the subscriptions and the connection. */
export interface AggregatorFeed {
  /** Resolves true once every payment reported one of `stages`, false after `timeoutMs`. */
  reached(txHashes: readonly string[], stages: ReadonlySet<string>, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Follows an aggregator over graphql-ws (what a GraphQL client application sees) and describes each event in one
 * line: block heights, QCs formed and later stage changes. `nameOf` turns an address into a display name.
 */
export function followAggregator(
  graphqlUrl: string,
  nameOf: (address: string) => string,
  onLine: (line: string) => void,
): AggregatorFeed {
  const client: Client = createClient({
    url: graphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 3,
  });
  const who = (p: FeedPayment) => `${nameOf(p.sender)} → ${nameOf(p.recipient)}`;
  const stages = new Map<string, string>();
  const waiters = new Set<() => void>();
  const stops = [
    subscribeData<{ blockHeight: { height: string } }>(
      client,
      'subscription { blockHeight { height } }',
      (d) => onLine(`block ${d.blockHeight.height}`),
    ),
    subscribeData<{ qcFormed: FeedPayment }>(
      client,
      `subscription { qcFormed { ${FIELDS} } }`,
      ({ qcFormed: p }) =>
        onLine(
          `qcFormed: ${who(p)}, ${p.certificates.length} verified certificates, at block ${p.blockAtQc} (its chain head)`,
        ),
    ),
    subscribeData<{ paymentUpdated: { payment: FeedPayment } }>(
      client,
      `subscription { paymentUpdated { payment { ${FIELDS} } } }`,
      ({ paymentUpdated: { payment: p } }) => {
        if (stages.get(p.txHash) === p.stage) return;
        stages.set(p.txHash, p.stage);
        for (const wake of waiters) wake();
        const where = p.inclusion ? ` in block ${p.inclusion.blockNumber}` : '';
        onLine(`paymentUpdated: ${who(p)} ${p.stage}${where}`);
      },
    ),
  ];
  return {
    reached(txHashes, wanted, timeoutMs) {
      const done = () => txHashes.every((h) => wanted.has(stages.get(h) ?? ''));
      return new Promise((resolve) => {
        const check = () => {
          if (!done()) return;
          finish(true);
        };
        const finish = (result: boolean) => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve(result);
        };
        const timer = setTimeout(() => finish(false), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const stop of stops) stop();
      await client.dispose();
    },
  };
}
