/** What the page shows, built from GraphQL subscription events only (pure: no I/O, no clock). */

import type { ApiStage } from '../../src/protocol/stage.ts';

/** The API stage names, shared with the server (src/protocol is pure and runs in the browser). */
export type Stage = ApiStage;

export type Guarantee = 'LOCKED' | 'ESCROWED';

/** One line on what each guarantee means (schema.graphql `Guarantee`). */
export const GUARANTEE_MEANING: Readonly<Record<Guarantee, string>> = {
  LOCKED:
    'Direct mode: 2f+1 validators saw the funds and locked this nonce; the payer can still make it fail by spending the same funds on chain outside Allegro.',
  ESCROWED:
    'Escrow mode: the funds sit in the escrow contract; the payment settles unless more than f validators are Byzantine.',
};

/** The Payment fields the page subscribes to. */
export interface PaymentFields {
  readonly txHash: string;
  readonly stage: Stage;
  /** What its QC is worth: LOCKED (direct mode) or ESCROWED. */
  readonly guarantee: Guarantee;
  readonly sender: string;
  readonly recipient: string;
  readonly amount: string;
  readonly threshold: number;
  readonly certificates: readonly { readonly validator: { readonly name: string } }[];
  readonly qcHash: string | null;
  readonly blockAtQc: string | null;
  readonly inclusion: { readonly blockNumber: string } | null;
}

export interface BlockEntry {
  readonly kind: 'block';
  readonly height: string;
  /** Page clock (ms) when the event arrived. */
  readonly at: number;
}

export interface QcEntry {
  readonly kind: 'qc';
  readonly payment: PaymentFields;
  readonly at: number;
  /** Milliseconds since the last block event when the QC event arrived, if a block was seen. */
  readonly sinceBlockMs: number | undefined;
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
  /** Newest first, at most MAX_ENTRIES. */
  readonly entries: readonly Entry[];
  /** Newest first. */
  readonly payments: readonly PaymentFields[];
  readonly lastBlock: BlockEntry | undefined;
}

export type TimelineEvent =
  | { readonly type: 'block'; readonly height: string; readonly at: number }
  | { readonly type: 'qc'; readonly payment: PaymentFields; readonly at: number }
  | { readonly type: 'payment'; readonly payment: PaymentFields; readonly at: number };

const MAX_ENTRIES = 200;
const MAX_PAYMENTS = 50;
/** On-chain stages worth a line of their own in the timeline. */
const CHAIN_STAGES: ReadonlySet<Stage> = new Set(['INCLUDED', 'FINALIZED', 'FAILED', 'EXPIRED', 'REJECTED']);

export const EMPTY_TIMELINE: Timeline = { entries: [], payments: [], lastBlock: undefined };

/** The timeline after one subscription event. */
export function nextTimeline(state: Timeline, event: TimelineEvent): Timeline {
  if (event.type === 'block') {
    if (state.lastBlock && BigInt(event.height) <= BigInt(state.lastBlock.height)) return state;
    const block: BlockEntry = { kind: 'block', height: event.height, at: event.at };
    return { ...state, lastBlock: block, entries: cap([block, ...state.entries]) };
  }
  const payments = upsert(state.payments, event.payment);
  if (event.type === 'qc') {
    if (state.entries.some((e) => e.kind === 'qc' && e.payment.txHash === event.payment.txHash)) {
      return { ...state, payments };
    }
    const qc: QcEntry = {
      kind: 'qc',
      payment: event.payment,
      at: event.at,
      sinceBlockMs: state.lastBlock && event.at - state.lastBlock.at,
    };
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
    at: event.at,
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

/** `amount` base units of a 6-decimal TIP-20 token, e.g. "10.5". */
export function formatAmount(amount: string): string {
  const units = BigInt(amount);
  const whole = units / 1_000_000n;
  const fraction = (units % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole.toString();
}

/** `0x1234…abcd`. */
export function short(hex: string): string {
  return hex.length > 12 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex;
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
