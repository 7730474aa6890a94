import { describe, expect, it } from 'vitest';
import { latestWins } from '../../src/util/latest-wins.ts';

/** A promise with its resolve function, to hold a run until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('latestWins', () => {
  it('runs the first value at once, then only the newest of those offered while it ran', async () => {
    const ran: number[] = [];
    const first = gate();
    const worker = latestWins<number>(
      async (n) => {
        ran.push(n);
        if (n === 1) await first.opened;
      },
      () => {},
    );
    worker.offer(1);
    worker.offer(2);
    worker.offer(3);
    worker.offer(4);
    expect(ran).toEqual([1]);
    first.open();
    await worker.idle();
    expect(ran).toEqual([1, 4]);
  });

  it('reports a failed run and keeps working on the next offer', async () => {
    const errors: [string, number][] = [];
    const ran: number[] = [];
    const worker = latestWins<number>(
      async (n) => {
        if (n === 1) throw new Error('node down');
        ran.push(n);
      },
      (error, n) => errors.push([(error as Error).message, n]),
    );
    worker.offer(1);
    await worker.idle();
    worker.offer(2);
    await worker.idle();
    expect(errors).toEqual([['node down', 1]]);
    expect(ran).toEqual([2]);
  });

  it('is idle before any offer and after the last run', async () => {
    const worker = latestWins<number>(
      async () => {},
      () => {},
    );
    await expect(worker.idle()).resolves.toBeUndefined();
    worker.offer(1);
    await worker.idle();
    await expect(worker.idle()).resolves.toBeUndefined();
  });
});
