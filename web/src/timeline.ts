/**
 * What the page knows, built from the history it loads on open and the GraphQL subscription events after it
 * (pure: no I/O, no clock). Every time is the server's: a block's chain timestamp, a QC's stage time.
 */

import { type PaymentFields, type Stage, stageTime } from './nodes.ts';

export interface BlockEntry {
  readonly kind: 'block';
  readonly height: string;
  /** The block's chain timestamp (unix millis). */
  readonly at: number;
}

export interface QcEntry {
  readonly kind: 'qc';
  readonly payment: PaymentFields;
  /** The aggregator's time the QC formed (unix millis). */
  readonly at: number;
}

export interface StageEntry {
  readonly kind: 'stage';
  readonly txHash: string;
  readonly stage: Stage;
  readonly blockNumber: string | null;
  readonly at: number;
}

export type Entry = BlockEntry | QcEntry | StageEntry;

export interface Timeline {
  /** Newest first, at most MAX_ENTRIES: what happened while the page was open. */
  readonly entries: readonly Entry[];
  /** Newest first: the history loaded on open, then every payment seen live. */
  readonly payments: readonly PaymentFields[];
  /** Chain timestamps of the blocks seen, by height. */
  readonly blockTimes: Readonly<Record<string, number>>;
  readonly lastBlock: BlockEntry | undefined;
}

export type TimelineEvent =
  | { readonly type: 'history'; readonly payments: readonly PaymentFields[] }
  | { readonly type: 'block'; readonly height: string; readonly timestampMs: string }
  | { readonly type: 'qc'; readonly payment: PaymentFields }
  | { readonly type: 'payment'; readonly payment: PaymentFields };

const MAX_ENTRIES = 200;
const MAX_PAYMENTS = 100;
/** On-chain stages worth a line of their own in the timeline. */
const CHAIN_STAGES: ReadonlySet<Stage> = new Set(['INCLUDED', 'FINALIZED', 'FAILED', 'EXPIRED', 'REJECTED']);

export const EMPTY_TIMELINE: Timeline = { entries: [], payments: [], blockTimes: {}, lastBlock: undefined };

/** The timeline after one event. */
export function nextTimeline(state: Timeline, event: TimelineEvent): Timeline {
  if (event.type === 'history') {
    const known = new Set(state.payments.map((p) => p.txHash));
    const older = event.payments.filter((p) => !known.has(p.txHash));
    return { ...state, payments: [...state.payments, ...older].slice(0, MAX_PAYMENTS) };
  }
  if (event.type === 'block') {
    if (state.lastBlock && BigInt(event.height) <= BigInt(state.lastBlock.height)) return state;
    const block: BlockEntry = { kind: 'block', height: event.height, at: Number(event.timestampMs) };
    return {
      ...state,
      lastBlock: block,
      blockTimes: { ...state.blockTimes, [event.height]: block.at },
      entries: cap([block, ...state.entries]),
    };
  }
  const payments = upsert(state.payments, event.payment);
  if (event.type === 'qc') {
    if (state.entries.some((e) => e.kind === 'qc' && e.payment.txHash === event.payment.txHash)) {
      return { ...state, payments };
    }
    const at = stageTime(event.payment, 'QC_FORMED') ?? 0;
    const qc: QcEntry = { kind: 'qc', payment: event.payment, at };
    return { ...state, payments, entries: cap([qc, ...state.entries]) };
  }
  const { txHash, stage } = event.payment;
  const known = state.entries.some((e) => e.kind === 'stage' && e.txHash === txHash && e.stage === stage);
  if (!CHAIN_STAGES.has(stage) || known) return { ...state, payments };
  const entry: StageEntry = {
    kind: 'stage',
    txHash,
    stage,
    blockNumber: event.payment.inclusion?.blockNumber ?? null,
    at: stageTime(event.payment, stage) ?? 0,
  };
  return { ...state, payments, entries: cap([entry, ...state.entries]) };
}

/** The block event that came right after `entry` (entries are newest first), if any yet. */
export function nextBlockAfter(entries: readonly Entry[], entry: Entry): BlockEntry | undefined {
  const index = entries.indexOf(entry);
  for (let i = index - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.kind === 'block') return e;
  }
  return undefined;
}

/** The payments with `payment` replaced in place, or added first when new. */
function upsert(payments: readonly PaymentFields[], payment: PaymentFields): readonly PaymentFields[] {
  const index = payments.findIndex((p) => p.txHash === payment.txHash);
  if (index < 0) return [payment, ...payments].slice(0, MAX_PAYMENTS);
  return payments.map((p, i) => (i === index ? payment : p));
}

function cap(entries: readonly Entry[]): readonly Entry[] {
  return entries.slice(0, MAX_ENTRIES);
}
