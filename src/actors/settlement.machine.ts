import { assign, emit, enqueueActions, fromPromise, setup } from 'xstate';
import type { ChainHead, ChainReceipt } from '../chain/chain-port.ts';
import type { LockRecord } from '../protocol/ledger/ledger.ts';
import { WireStage } from '../protocol/stage.ts';

/** A forwarded tx not included after this many blocks is broadcast again (the node may have lost it); doubles. */
const FIRST_RESEND_GAP = 2n;
const MAX_RESEND_GAP = 64n;

/** What a broadcast got: the node holds the tx, or refused it (UNAVAILABLE is the send actor's error instead). */
export type SendOutcome =
  | { readonly kind: 'held' }
  | { readonly kind: 'refused'; readonly code: string; readonly message: string };

/** A released payment's fate read from the chain at B (ARCHITECTURE.md "The sidecar's ledger"). */
export type Fate =
  | { readonly kind: 'included'; readonly receipt: ChainReceipt }
  | { readonly kind: 'failed'; readonly message: string; readonly receipt?: ChainReceipt }
  | { readonly kind: 'expired' };

export interface SettlementInput {
  readonly record: LockRecord;
  /** The chain's tx hash: keccak256 of the signed bytes. */
  readonly chainTxHash: Uint8Array;
  /** Head height from which this sidecar forwards it (the route's delay). */
  readonly forwardFrom: bigint;
  readonly finalityDepth: number;
  readonly evictAfterRefusals: number;
}

export interface SettlementContext extends SettlementInput {
  /** Height at which to broadcast again while not included; undefined until the node first held it. */
  readonly resendAt?: bigint;
  readonly resendGap: bigint;
  /** Refusals in a row (not counting NONCE_TOO_LOW, which B decides); the retry backoff's attempt number. */
  readonly refusals: number;
  readonly attempt: number;
  /** The head of the last FORWARD / RESEND / RELEASED event. */
  readonly height: bigint;
  readonly receipt?: ChainReceipt;
  /** Why settlement gave up on it (its FAILED message); the lock stays until the chain releases it. */
  readonly givenUp?: string;
}

export type SettlementEvent =
  | { readonly type: 'FORWARD'; readonly height: bigint }
  | { readonly type: 'GIVE_UP'; readonly reason: string }
  | { readonly type: 'RELEASED'; readonly head: ChainHead }
  | { readonly type: 'READ_FATE' }
  | { readonly type: 'HEAD'; readonly height: bigint };

/** What the machine tells its owner: a stage to publish, and an eviction (whose sender is cooled off). */
export type SettlementEmitted =
  | {
      readonly type: 'stage';
      readonly stage: WireStage;
      readonly blockNumber: bigint;
      readonly blockHash?: Uint8Array;
      readonly message?: string;
    }
  | { readonly type: 'evicted'; readonly reason: string }
  | { readonly type: 'refused'; readonly code: string; readonly message: string };

const refusedOutcome = (output: SendOutcome) => (output.kind === 'refused' ? output : undefined);

/**
 * One certified payment's settlement on this sidecar (ARCHITECTURE.md "Settle" step 6): `queued` until its owner
 * says FORWARD (its turn in the lane, parent included, route delay passed), `sending` (the `send` actor), then
 * `forwarded`, where a resend is due every `resendGap` blocks (doubling) while not included. A refusal backs off
 * (`backingOff`, full-jitter delay `retry`); the `evictAfterRefusals`-th in a row, or a failed parent (GIVE_UP),
 * ends in `evicted`: FAILED, never sent again, its lock kept. When the chain releases the lock at B (RELEASED) the
 * `fate` actor reads the receipt and the lane nonce at B: `included` (FINALIZED once a HEAD is `finalityDepth`
 * blocks past its block), `failed`, `expired`; a read the node failed waits in `awaitingFate` for READ_FATE. An
 * evicted payment that landed after all is INCLUDED, otherwise it ends silently (`released`). Chain calls are
 * invoked actors and stages are emitted events, so the machine itself has no effects and its snapshot restores.
 */
export const settlementMachine = setup({
  types: {
    context: {} as SettlementContext,
    input: {} as SettlementInput,
    events: {} as SettlementEvent,
    emitted: {} as SettlementEmitted,
  },
  actors: {
    send: fromPromise<SendOutcome, { readonly signedTx: Uint8Array; readonly chainTxHash: Uint8Array }>(
      async () => {
        throw new Error('settlement send actor not provided');
      },
    ),
    fate: fromPromise<
      Fate,
      { readonly record: LockRecord; readonly chainTxHash: Uint8Array; readonly height: bigint }
    >(async () => {
      throw new Error('settlement fate actor not provided');
    }),
  },
  delays: {
    retry: () => 0,
  },
  guards: {
    held: (_, output: SendOutcome) => output.kind === 'held',
    evictNow: ({ context }, output: SendOutcome) =>
      output.kind === 'refused' &&
      output.code !== 'NONCE_TOO_LOW' &&
      context.refusals + 1 >= context.evictAfterRefusals,
    wasForwarded: ({ context }) => context.resendAt !== undefined,
    landed: (_, fate: Fate) => fate.kind === 'included',
    givenUp: ({ context }) => context.givenUp !== undefined,
    expired: (_, fate: Fate) => fate.kind === 'expired',
    final: ({ context }, height: bigint) =>
      context.receipt !== undefined && height >= context.receipt.blockNumber + BigInt(context.finalityDepth),
  },
}).createMachine({
  id: 'settlement',
  context: ({ input }) => ({
    ...input,
    resendGap: FIRST_RESEND_GAP,
    refusals: 0,
    attempt: 0,
    height: input.forwardFrom,
  }),
  initial: 'queued',
  on: {
    RELEASED: {
      target: '.resolving',
      actions: assign({ height: ({ event }) => event.head.height }),
    },
  },
  states: {
    queued: {
      on: {
        FORWARD: { target: 'sending', actions: assign({ height: ({ event }) => event.height }) },
        GIVE_UP: { target: 'evicted', actions: assign({ givenUp: ({ event }) => event.reason }) },
      },
    },
    sending: {
      invoke: {
        src: 'send',
        input: ({ context }) => ({
          signedTx: context.record.delta.signedTx,
          chainTxHash: context.chainTxHash,
        }),
        onDone: [
          {
            guard: { type: 'held', params: ({ event }) => event.output },
            target: 'forwarded',
            actions: [
              enqueueActions(({ context, enqueue }) => {
                if (context.resendAt !== undefined) return;
                enqueue.emit({ type: 'stage', stage: WireStage.QUEUED_ONCHAIN, blockNumber: context.height });
              }),
              assign(({ context }) => ({
                resendAt: context.height + context.resendGap,
                resendGap: context.resendGap * 2n > MAX_RESEND_GAP ? MAX_RESEND_GAP : context.resendGap * 2n,
                refusals: 0,
                attempt: 0,
              })),
            ],
          },
          {
            guard: { type: 'evictNow', params: ({ event }) => event.output },
            target: 'evicted',
            actions: [
              assign(({ context, event }) => ({
                refusals: context.refusals + 1,
                givenUp: `evicted: node refused it ${context.refusals + 1} times: ${refusedOutcome(event.output)?.message}`,
              })),
              emit(({ context }) => ({ type: 'evicted' as const, reason: context.givenUp ?? '' })),
            ],
          },
          {
            target: 'backingOff',
            actions: [
              emit(({ event }) => ({
                type: 'refused' as const,
                code: refusedOutcome(event.output)?.code ?? '',
                message: refusedOutcome(event.output)?.message ?? '',
              })),
              assign(({ context, event }) => ({
                refusals: context.refusals + (refusedOutcome(event.output)?.code === 'NONCE_TOO_LOW' ? 0 : 1),
              })),
            ],
          },
        ],
        onError: [{ guard: 'wasForwarded', target: 'forwarded' }, { target: 'queued' }],
      },
    },
    backingOff: {
      after: {
        retry: { target: 'queued', actions: assign({ attempt: ({ context }) => context.attempt + 1 }) },
      },
    },
    forwarded: {
      on: { FORWARD: { target: 'sending', actions: assign({ height: ({ event }) => event.height }) } },
    },
    evicted: {
      entry: emit(({ context }) => ({
        type: 'stage' as const,
        stage: WireStage.FAILED,
        blockNumber: context.height,
        message: context.givenUp ?? '',
      })),
    },
    resolving: {
      invoke: {
        src: 'fate',
        input: ({ context }) => ({
          record: context.record,
          chainTxHash: context.chainTxHash,
          height: context.height,
        }),
        onDone: [
          {
            guard: { type: 'landed', params: ({ event }) => event.output },
            target: 'included',
            actions: [
              assign(({ event }) => ({
                givenUp: undefined,
                receipt: event.output.kind === 'included' ? event.output.receipt : undefined,
              })),
              emit(({ context }) => ({
                type: 'stage' as const,
                stage: WireStage.INCLUDED,
                blockNumber: context.receipt?.blockNumber ?? context.height,
                ...(context.receipt ? { blockHash: context.receipt.blockHash } : {}),
              })),
            ],
          },
          { guard: 'givenUp', target: 'released' },
          {
            guard: { type: 'expired', params: ({ event }) => event.output },
            target: 'expired',
            actions: emit(({ context }) => ({
              type: 'stage' as const,
              stage: WireStage.EXPIRED,
              blockNumber: context.height,
              message: `expired unincluded at block ${context.height}`,
            })),
          },
          {
            target: 'failed',
            actions: emit(({ context, event }) => {
              const fate = event.output.kind === 'failed' ? event.output : undefined;
              return {
                type: 'stage' as const,
                stage: WireStage.FAILED,
                blockNumber: fate?.receipt?.blockNumber ?? context.height,
                ...(fate?.receipt ? { blockHash: fate.receipt.blockHash } : {}),
                message: fate?.message ?? 'failed',
              };
            }),
          },
        ],
        onError: 'awaitingFate',
      },
    },
    awaitingFate: {
      on: { READ_FATE: 'resolving' },
    },
    included: {
      on: {
        RELEASED: {},
        HEAD: {
          guard: { type: 'final', params: ({ event }) => event.height },
          target: 'finalized',
          actions: emit(({ context }) => ({
            type: 'stage' as const,
            stage: WireStage.FINALIZED,
            blockNumber: context.receipt?.blockNumber ?? context.height,
            ...(context.receipt ? { blockHash: context.receipt.blockHash } : {}),
          })),
        },
      },
    },
    finalized: { type: 'final' },
    failed: { type: 'final' },
    expired: { type: 'final' },
    released: { type: 'final' },
  },
});
