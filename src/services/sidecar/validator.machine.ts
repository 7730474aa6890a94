import { fromCallback, sendTo, setup } from 'xstate';
import { RejectCode, reject } from '../../protocol/reject.ts';
import type { SubmitRequest } from '../../protocol/types.ts';
import type { SubmitOutcome, SubmitStep, ValidatorCore } from './validator-core.ts';

export interface SubmitEvent {
  readonly type: 'SUBMIT';
  readonly request: SubmitRequest;
  readonly reply: (outcome: SubmitOutcome) => void;
  /** Chain-read rounds already done for this submission. */
  readonly round?: number;
}

export type ValidatorEvent = SubmitEvent | { readonly type: 'STOP' };

/** A decided submission handed to the worker: its event and the step the decision produced. */
interface WorkEvent {
  readonly type: 'WORK';
  readonly submit: SubmitEvent;
  readonly step: SubmitStep;
}

/** Chain-read rounds per submission before answering TEMPORARY_UNAVAILABLE (the head kept moving). */
const MAX_FETCH_ROUNDS = 8;

/**
 * Finishes decided submissions concurrently: waits for the durable write, or loads chain values and hands the
 * submission back to the validator to decide again. One long-lived child, so no actor is created per request.
 */
const worker = fromCallback<WorkEvent, { core: ValidatorCore }>(({ input: { core }, receive, sendBack }) => {
  receive((work) => {
    void finish(core, work, sendBack);
  });
});

async function finish(core: ValidatorCore, { submit, step }: WorkEvent, sendBack: (e: SubmitEvent) => void) {
  if (step.kind === 'done') return submit.reply(await step.outcome);
  if (step.kind === 'persist') return submit.reply(await core.persist(step));
  const round = (submit.round ?? 0) + 1;
  if (round > MAX_FETCH_ROUNDS) {
    return submit.reply({
      reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, 'chain view kept changing; retry'),
    });
  }
  try {
    await core.chain.load(step.reads);
  } catch (err) {
    return submit.reply({
      reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, `chain unavailable: ${(err as Error).message}`),
    });
  }
  sendBack({ ...submit, round });
}

/**
 * The validator actor. Each SUBMIT is decided in the actor's own step, one event at a time, so requests that
 * touch the same contention key or account are serialised, and the decision reserves its lock in that same
 * step; the durable write, the reply and any chain reads run in the worker child, so other requests proceed
 * while one is being persisted (ARCHITECTURE.md "Persist, then sign").
 */
export const validatorMachine = setup({
  types: {
    context: {} as { core: ValidatorCore },
    events: {} as ValidatorEvent,
    input: {} as { core: ValidatorCore },
  },
  actors: { worker },
}).createMachine({
  id: 'validator',
  context: ({ input }) => ({ core: input.core }),
  initial: 'serving',
  states: {
    serving: {
      invoke: { id: 'worker', src: 'worker', input: ({ context }) => ({ core: context.core }) },
      on: {
        STOP: 'stopped',
        SUBMIT: {
          actions: sendTo('worker', ({ context, event }) => ({
            type: 'WORK' as const,
            submit: event,
            step: context.core.step(event.request),
          })),
        },
      },
    },
    stopped: { type: 'final' },
  },
});
