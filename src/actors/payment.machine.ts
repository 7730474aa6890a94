import { assign, setup } from 'xstate';
import type { ApiStage } from '../protocol/stage.ts';
import type { PaymentEvent, StageReport } from './payment-events.ts';

/** What is known of one payment. JSON-native: hex strings, decimal strings for u64s, unix millis as numbers. */
export interface PaymentContext {
  readonly txHash: string;
  readonly sender: string;
  readonly recipient: string;
  readonly asset: string;
  readonly amount: string;
  /** Parent QC hash of a chained spend. */
  readonly parentQcHash?: string;
  /** Hash of the certified effects, and the payment's lane (nonce key, decimal sequence), when known. */
  readonly effectsHash?: string;
  readonly nonceKey?: string;
  readonly sequence?: string;
  /**
   * The signed submission (SubmitFastPayRequest wire bytes, 0x-hex) when it came through this observer: to resume
   * collecting after a restart, to follow its settlement streams, and to hand its tx to a child's validators.
   */
  readonly request?: string;
  /** The wrapper's expiry and the signed tx's validBefore, unix millis (decimal), when known. */
  readonly expiresAtMs?: string;
  readonly validBeforeMs?: string;
  /** The chain's hash of the signed Tempo tx (keccak256), to find its receipt. */
  readonly chainTxHash?: string;
  /** Certificates needed for a QC (2f+1 of the committee) and the faults tolerated (f). */
  readonly threshold: number;
  readonly faultTolerance: number;
  readonly certificates: Readonly<
    Record<string, { validator: string; signature: string; createdUnixMillis: string }>
  >;
  readonly rejects: Readonly<
    Record<string, { validator: string; code: number; message: string; permanent: boolean }>
  >;
  readonly qcHash?: string;
  /** The QC exactly as formed (its certificate choice fixes `qcHash`), in the compact form of FormedQc. */
  readonly qc?: FormedQc;
  readonly blockAtSubmit: string;
  readonly blockAtQc?: string;
  readonly inclusion?: { readonly blockNumber: string; readonly blockHash: string };
  readonly failure?: string;
  /** Inclusions the chain no longer has (reorged away, or the chain was reset), oldest first. */
  readonly lostInclusions?: readonly {
    readonly blockNumber: string;
    readonly blockHash: string;
    readonly message: string;
    readonly at: number;
  }[];
  /** Sidecars' on-chain stage reports not trusted yet: `stage:blockNumber:blockHash` → validator ids (0x-hex). */
  readonly stageReports?: Readonly<Record<string, readonly string[]>>;
  /** When each stage was reached (unix millis). */
  readonly stageTimes: Readonly<Partial<Record<ApiStage, number>>>;
}

/**
 * A formed QC as a payment keeps it: its signers in order, each certificate's signature and time only when they
 * differ from the one in `certificates` (the tx hash, effects hash and effects every certificate repeats are the
 * payment's own). JSON-native like the rest of the context.
 */
export interface FormedQc {
  readonly threshold: number;
  readonly certs: readonly {
    readonly validatorId: string;
    readonly signature?: string;
    readonly createdUnixMillis?: string;
    /** Escrow mode: the validator's settlement signature. */
    readonly settlementSignature?: string;
  }[];
}

export type PaymentInput = Omit<
  PaymentContext,
  'certificates' | 'rejects' | 'stageTimes' | 'stageReports'
> & {
  submittedAt: number;
};

/**
 * Forward moves shared by every state that has not reached them yet. An on-chain move happens at once when the
 * observer read it from the chain itself, and on the (f+1)-th agreeing sidecar report otherwise (guard `trusted`);
 * a report that is not enough yet is only recorded.
 */
const toQcFormed = {
  target: '#payment.qcFormed',
  actions: ['recordQc', { type: 'stamp', params: { stage: 'QC_FORMED' } }],
} as const;
const toQueued = [
  {
    guard: 'trusted',
    target: '#payment.queuedOnchain',
    actions: ['recordReport', { type: 'stamp', params: { stage: 'QUEUED_ONCHAIN' } }],
  },
  { actions: 'recordReport' },
] as const;
const toIncluded = [
  {
    guard: 'trusted',
    target: '#payment.included',
    actions: ['recordReport', 'recordInclusion', { type: 'stamp', params: { stage: 'INCLUDED' } }],
  },
  { actions: 'recordReport' },
] as const;
const onReject = [
  {
    guard: 'quorumImpossible',
    target: '#payment.rejected',
    actions: ['recordReject', { type: 'stamp', params: { stage: 'REJECTED' } }],
  },
  { actions: 'recordReject' },
] as const;

/**
 * One payment's life (ARCHITECTURE.md "Payment stages"): submitted → certified (≥ 1 certificate) → qcFormed →
 * queuedOnchain → included → finalized, or the terminal failures rejected (more than f validators refused for
 * good: a quorum is impossible), expired, failedOnchain. On-chain stages come from the observer's own chain reads
 * or from f+1 sidecars reporting the same stage at the same block height and hash. Stages only move forward; an event for a later stage
 * skips the ones between (a sidecar may report inclusion before this observer saw the queueing). A QC, and
 * certificates and rejects, arriving after a later stage are still recorded (a sidecar queues a payment for
 * settlement as soon as it certified it, which may be before the payer assembled the QC). The one step back:
 * INCLUSION_LOST, from the observer's own chain read only, takes an included payment back to waiting for
 * inclusion when the chain no longer has its block (a reorg, or a chain reset), so it is followed again and never
 * FINALIZED for a tx the chain lacks.
 */
export const paymentMachine = setup({
  types: {
    context: {} as PaymentContext,
    events: {} as PaymentEvent,
    input: {} as PaymentInput,
  },
  guards: {
    noQcYet: ({ context }) => context.qcHash === undefined,
    hasQc: ({ context }) => context.qcHash !== undefined,
    wasQueued: ({ context }) => context.stageTimes.QUEUED_ONCHAIN !== undefined,
    /** The observer's own chain read, or a sidecar report that makes f+1 validators agree on stage and block. */
    trusted: ({ context, event }) => {
      const report = 'report' in event ? event.report : undefined;
      return !report || votersWith(context, event.type, report).length > context.faultTolerance;
    },
    /** Counting the reject being received, more than f validators refused for good. */
    quorumImpossible: ({ context, event }) => {
      if (event.type !== 'REJECT') return false;
      const others = Object.entries(context.rejects).filter(
        ([id, r]) => id !== event.validatorId && r.permanent,
      );
      return others.length + (event.permanent ? 1 : 0) > context.faultTolerance;
    },
  },
  actions: {
    stamp: assign(({ context, event }, params: { stage: ApiStage }) => ({
      stageTimes: { ...context.stageTimes, [params.stage]: event.at },
    })),
    recordCertificate: assign({
      certificates: ({ context, event }) =>
        event.type === 'CERTIFICATE'
          ? {
              ...context.certificates,
              [event.validatorId]: {
                validator: event.validator,
                signature: event.signature,
                createdUnixMillis: event.createdUnixMillis,
              },
            }
          : context.certificates,
    }),
    recordReject: assign({
      rejects: ({ context, event }) =>
        event.type === 'REJECT'
          ? {
              ...context.rejects,
              [event.validatorId]: {
                validator: event.validator,
                code: event.code,
                message: event.message,
                permanent: event.permanent,
              },
            }
          : context.rejects,
    }),
    recordQc: assign({
      qcHash: ({ context, event }) => (event.type === 'QC_FORMED' ? event.qcHash : context.qcHash),
      blockAtQc: ({ context, event }) => (event.type === 'QC_FORMED' ? event.blockHeight : context.blockAtQc),
      qc: ({ context, event }) => (event.type === 'QC_FORMED' && event.qc ? event.qc : context.qc),
    }),
    /** What a submission through this observer adds to a payment first seen on a board; never replaced. */
    recordSubmission: assign(({ context, event }) => {
      if (event.type !== 'SUBMISSION' || context.request !== undefined) return {};
      const { type: _type, at: _at, ...fields } = event;
      return fields;
    }),
    recordInclusion: assign({
      inclusion: ({ context, event }) =>
        event.type === 'INCLUDED'
          ? { blockNumber: event.blockNumber, blockHash: event.blockHash }
          : context.inclusion,
    }),
    recordReport: assign({
      stageReports: ({ context, event }) => {
        const report = 'report' in event ? event.report : undefined;
        if (!report) return context.stageReports;
        return {
          ...context.stageReports,
          [reportKey(event.type, report)]: votersWith(context, event.type, report),
        };
      },
    }),
    /**
     * Forgets an inclusion the chain no longer shows: its block, its stage time and every sidecar vote for a
     * settlement stage (they were about the lost block), and keeps it in `lostInclusions`.
     */
    forgetInclusion: assign(({ context, event }) => {
      const { INCLUDED: _included, ...stageTimes } = context.stageTimes;
      const lost =
        context.inclusion && event.type === 'INCLUSION_LOST'
          ? [{ ...context.inclusion, message: event.message, at: event.at }]
          : [];
      return {
        inclusion: undefined,
        stageTimes,
        lostInclusions: [...(context.lostInclusions ?? []), ...lost],
        stageReports: Object.fromEntries(
          Object.entries(context.stageReports ?? {}).filter(([key]) => key.startsWith('QUEUED_ONCHAIN:')),
        ),
      };
    }),
    recordFailure: assign({
      failure: ({ context, event }) => (event.type === 'FAILED' ? event.message : context.failure),
    }),
  },
}).createMachine({
  id: 'payment',
  context: ({ input }) => {
    const { submittedAt, ...rest } = input;
    return { ...rest, certificates: {}, rejects: {}, stageTimes: { SUBMITTED: submittedAt } };
  },
  initial: 'submitted',
  on: {
    FAILED: [
      {
        guard: 'trusted',
        target: '.failedOnchain',
        actions: ['recordReport', 'recordFailure', { type: 'stamp', params: { stage: 'FAILED' } }],
      },
      { actions: 'recordReport' },
    ],
    EXPIRED: [
      {
        guard: 'trusted',
        target: '.expired',
        actions: ['recordReport', { type: 'stamp', params: { stage: 'EXPIRED' } }],
      },
      { actions: 'recordReport' },
    ],
    CERTIFICATE: { actions: 'recordCertificate' },
    REJECT: { actions: 'recordReject' },
    SUBMISSION: { actions: 'recordSubmission' },
    QC_FORMED: {
      guard: 'noQcYet',
      actions: ['recordQc', { type: 'stamp', params: { stage: 'QC_FORMED' } }],
    },
  },
  states: {
    submitted: {
      on: {
        CERTIFICATE: {
          target: 'certified',
          actions: ['recordCertificate', { type: 'stamp', params: { stage: 'CERTIFIED' } }],
        },
        REJECT: onReject,
        QC_FORMED: toQcFormed,
        QUEUED_ONCHAIN: toQueued,
        INCLUDED: toIncluded,
      },
    },
    certified: {
      on: {
        REJECT: onReject,
        QC_FORMED: toQcFormed,
        QUEUED_ONCHAIN: toQueued,
        INCLUDED: toIncluded,
      },
    },
    qcFormed: { on: { QUEUED_ONCHAIN: toQueued, INCLUDED: toIncluded } },
    queuedOnchain: { on: { INCLUDED: toIncluded } },
    included: {
      on: {
        FINALIZED: [
          {
            guard: 'trusted',
            target: 'finalized',
            actions: ['recordReport', { type: 'stamp', params: { stage: 'FINALIZED' } }],
          },
          { actions: 'recordReport' },
        ],
        EXPIRED: {},
        INCLUSION_LOST: [
          { guard: 'wasQueued', target: 'queuedOnchain', actions: 'forgetInclusion' },
          { guard: 'hasQc', target: 'qcFormed', actions: 'forgetInclusion' },
          { target: 'certified', actions: 'forgetInclusion' },
        ],
      },
    },
    finalized: { type: 'final' },
    rejected: { type: 'final' },
    expired: { type: 'final' },
    failedOnchain: { type: 'final' },
  },
});

function reportKey(stage: string, report: StageReport): string {
  return `${stage}:${report.blockNumber}:${report.blockHash}`;
}

/** The validators that reported `stage` at the report's block, counting this report once. */
function votersWith(context: PaymentContext, stage: string, report: StageReport): readonly string[] {
  const held = context.stageReports?.[reportKey(stage, report)] ?? [];
  return held.includes(report.validatorId) ? held : [...held, report.validatorId];
}

/** The API stage of a machine state (ARCHITECTURE.md names). */
export const STAGE_OF_STATE: Readonly<Record<string, ApiStage>> = {
  submitted: 'SUBMITTED',
  certified: 'CERTIFIED',
  qcFormed: 'QC_FORMED',
  queuedOnchain: 'QUEUED_ONCHAIN',
  included: 'INCLUDED',
  finalized: 'FINALIZED',
  rejected: 'REJECTED',
  expired: 'EXPIRED',
  failedOnchain: 'FAILED',
};
