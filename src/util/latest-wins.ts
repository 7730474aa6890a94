/** A worker that only ever processes the newest value offered to it (see `latestWins`). */
export interface LatestWins<T> {
  /** Hands over a value: run now when idle, else kept as the next one, replacing any older value still waiting. */
  offer(value: T): void;
  /** Resolves once no work is running or waiting. */
  idle(): Promise<void>;
}

/**
 * "Latest head wins": runs `work` one value at a time, and of the values offered meanwhile only the newest runs
 * next (the ones in between are skipped). Heads arrive faster than they may be processed and only the latest
 * matters; a failed run goes to `onError` and the next offer runs again.
 */
export function latestWins<T>(
  work: (value: T) => Promise<void>,
  onError: (error: unknown, value: T) => void,
): LatestWins<T> {
  let waiting: { readonly value: T } | undefined;
  let running: Promise<void> | undefined;

  const drain = async (): Promise<void> => {
    while (waiting) {
      const { value } = waiting;
      waiting = undefined;
      try {
        await work(value);
      } catch (error) {
        onError(error, value);
      }
    }
    running = undefined;
  };

  return {
    offer(value) {
      waiting = { value };
      running ??= drain();
    },
    idle: () => running ?? Promise.resolve(),
  };
}
