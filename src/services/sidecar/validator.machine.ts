import { assign, enqueueActions, fromPromise, setup, stopChild } from 'xstate';
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

export type ValidatorEvent =
  | SubmitEvent
  | { readonly type: 'FINISHED'; readonly id: string }
  | { readonly type: 'STOP' };

/** Chain-read rounds per submission before answering TEMPORARY_UNAVAILABLE (the head kept moving). */
const MAX_FETCH_ROUNDS = 3;

/** Finishes one decided submission: waits for its durable write, or loads chain values and decides again. */
const submission = fromPromise<void, { core: ValidatorCore; event: SubmitEvent; step: SubmitStep }>(
  async ({ input, self }) => {
    try {
      await finish(input, self._parent);
    } finally {
      self._parent?.send({ type: 'FINISHED', id: self.id });
    }
  },
);

async function finish(
  { core, event, step }: { core: ValidatorCore; event: SubmitEvent; step: SubmitStep },
  parent: { send(event: ValidatorEvent): void } | undefined,
): Promise<void> {
  if (step.kind === 'done') return event.reply(await step.outcome);
  if (step.kind === 'persist') return event.reply(await core.persist(step));
  const round = (event.round ?? 0) + 1;
  if (round > MAX_FETCH_ROUNDS) {
    return event.reply({
      reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, 'chain view kept changing; retry'),
    });
  }
  try {
    await core.chain.load(step.reads);
  } catch (err) {
    return event.reply({
      reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, `chain unavailable: ${(err as Error).message}`),
    });
  }
  parent?.send({ ...event, round });
}

/**
 * The validator actor. Each SUBMIT is decided in the actor's own step, one event at a time, so requests that
 * touch the same contention key or account are serialised, and the decision reserves its lock in that same
 * step; the durable write, the reply and any chain reads run in a spawned child, so other requests proceed
 * while one is being persisted (ARCHITECTURE.md "Persist, then sign").
 */
export const validatorMachine = setup({
  types: {
    context: {} as { core: ValidatorCore; submissions: number },
    events: {} as ValidatorEvent,
    input: {} as { core: ValidatorCore },
  },
  actors: { submission },
}).createMachine({
  id: 'validator',
  context: ({ input }) => ({ core: input.core, submissions: 0 }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        STOP: 'stopped',
        FINISHED: { actions: stopChild(({ event }) => event.id) },
        SUBMIT: {
          actions: [
            assign({ submissions: ({ context }) => context.submissions + 1 }),
            enqueueActions(({ context, event, enqueue }) => {
              enqueue.spawnChild('submission', {
                id: `submission-${context.submissions}`,
                input: { core: context.core, event, step: context.core.step(event.request) },
              });
            }),
          ],
        },
      },
    },
    stopped: { type: 'final' },
  },
});
