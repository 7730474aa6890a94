import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, Repeater } from 'graphql-yoga';
import { Redis } from 'ioredis';
import type { AggregatorEvent } from '../services/aggregator/aggregator.ts';
import type { ChainHeadNode, PaymentNode } from '../services/aggregator/api-nodes.ts';

/** The subscription topics and their payloads (JSON: they cross Redis unchanged). */
export interface Topics {
  paymentUpdated: { payment: PaymentNode; previousStage: string | null };
  qcFormed: PaymentNode;
  blockHeight: ChainHeadNode;
}

export interface EventBus {
  /** Every later event of the topic; the listener is registered when iteration starts. */
  subscribe<K extends keyof Topics>(topic: K): AsyncIterable<Topics[K]>;
  /** Publishes an aggregator event on its topic. */
  publish(event: AggregatorEvent): void;
  close(): Promise<void>;
}

/** Topic names in Redis are prefixed so several deployments can share one server. */
const REDIS_PREFIX = 'allegro:';

/**
 * The subscription event stream (ARCHITECTURE.md "GraphQL"): in memory for one process, or through Redis
 * pub/sub (`redis://…`) as well, so that every aggregator instance of a deployment delivers what any of them
 * observed. An instance hears its own events in memory at once (its listener exists as soon as a subscription
 * starts, while a Redis SUBSCRIBE takes a round trip) and again through Redis: subscribers de-duplicate.
 */
export function createEventBus(options: { redisUrl?: string } = {}): EventBus {
  type Channels = { [K in keyof Topics]: [Topics[K]] };
  const clients = options.redisUrl ? [new Redis(options.redisUrl), new Redis(options.redisUrl)] : [];
  const local = createPubSub<Channels>();
  const remote =
    clients.length === 2
      ? createPubSub<Channels>({
          eventTarget: createRedisEventTarget({ publishClient: clients[0]!, subscribeClient: clients[1]! }),
        })
      : undefined;
  const channel = <K extends keyof Topics>(name: K) => `${REDIS_PREFIX}${name}` as K;
  const send = <K extends keyof Topics>(name: K, payload: Topics[K]) => {
    (local.publish as (t: K, p: Topics[K]) => void)(name, payload);
    if (remote) (remote.publish as (t: K, p: Topics[K]) => void)(channel(name), payload);
  };
  return {
    subscribe: (name) =>
      (remote
        ? Repeater.merge([local.subscribe(name), remote.subscribe(channel(name))])
        : local.subscribe(name)) as AsyncIterable<never>,
    publish(event) {
      if (event.type === 'paymentUpdated') {
        send('paymentUpdated', { payment: event.payment, previousStage: event.previousStage });
      } else if (event.type === 'qcFormed') {
        send('qcFormed', event.payment);
      } else {
        send('blockHeight', event.head);
      }
    },
    async close() {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}
