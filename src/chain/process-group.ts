import type { ChildProcess } from 'node:child_process';

/**
 * Sends `signal` to the whole process group of `child`, which must have been spawned with `detached: true` (so it
 * leads its own group): whatever it started in turn stops with it. A group that is already gone is ignored.
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}
