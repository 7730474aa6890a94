import type { ApiStage } from '../protocol/stage.ts';
import type { PaymentContext, PaymentInput } from './payment.machine.ts';
import type { PaymentEvent } from './payment-events.ts';

/** A payment as observers see it: its stage (API name), everything known, and when it last changed. */
export interface PaymentView {
  readonly txHash: string;
  readonly stage: ApiStage;
  readonly context: PaymentContext;
  /** Unix millis of the last change. */
  readonly updatedAt: number;
}

export interface PaymentPage {
  readonly items: readonly PaymentView[];
  /** Opaque cursor after the last item, for the next page. */
  readonly endCursor?: string;
  readonly hasNextPage: boolean;
}

/**
 * The running payment actors, one per payment (ARCHITECTURE.md "Observe"). Implemented by the actor system in
 * src/actors; consumed by the aggregator's GraphQL/REST/gRPC faces and by the demo's timeline. Each transition is
 * persisted before listeners hear of it, so a restarted process resumes every payment where it was.
 */
export interface PaymentRegistry {
  /** Starts tracking a payment; idempotent by tx hash (returns the existing view). */
  track(input: PaymentInput): Promise<PaymentView>;
  /** Delivers an event to the payment's actor; ignored for unknown tx hashes. */
  send(txHash: string, event: PaymentEvent): Promise<void>;
  get(txHash: string): PaymentView | undefined;
  /** The payment from memory, or from persistence when it already left memory (finished long ago). */
  load?(txHash: string): Promise<PaymentView | undefined>;
  /** Newest first, filtered by sender or recipient address and/or stage; cursor pagination. */
  list(filter: { address?: string; stage?: ApiStage; first: number; after?: string }): Promise<PaymentPage>;
  /** The payments not in a final stage (all of them are in memory). */
  active(): PaymentView[];
  /** Calls `listener` after every persisted change of any payment, until the returned function is called. */
  subscribe(listener: (view: PaymentView, previous: ApiStage | undefined) => void): () => void;
}
