import { readdirSync, readFileSync } from 'node:fs';

/** The environment variable every process a test run starts inherits: `<pid of the vitest process>:<start time>`. */
export const RUN_MARKER = 'ALLEGRO_TEST_RUN';

/** A process of this machine whose environment carries a test run's marker. */
interface MarkedProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly run: string;
}

/** Every live process (other than this one) whose environment holds RUN_MARKER, read from /proc. */
function markedProcesses(): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      const entry = env.find((e) => e.startsWith(`${RUN_MARKER}=`));
      if (!entry) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      found.push({
        pid,
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        run: entry.slice(RUN_MARKER.length + 1),
      });
    } catch {
      // gone meanwhile, or another user's process
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGKILLs each process and, when it leads one, its process group; returns the pgids signalled. */
function killAll(processes: readonly MarkedProcess[]): number[] {
  const groups = new Set<number>();
  for (const p of processes) {
    try {
      if (p.pgid === p.pid) {
        process.kill(-p.pgid, 'SIGKILL');
        groups.add(p.pgid);
      } else process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return [...groups];
}

/**
 * vitest globalSetup: marks this run in the environment every worker and every process they spawn inherits
 * (sidecars, aggregators, anvil, redis-server, detached process groups included), and at teardown SIGKILLs
 * whatever still carries the mark, even when a test timed out before its own cleanup ran (its workers, the
 * direct children, are vitest's to end). At setup it also
 * reaps what earlier runs whose vitest process is gone left behind; runs still in progress are left alone.
 */
export default function setup(): () => void {
  const self = `${process.pid}:${Date.now()}`;
  const orphans = markedProcesses().filter((p) => !alive(Number(p.run.split(':')[0])));
  const reaped = killAll(orphans);
  if (reaped.length > 0) console.warn(`reaped ${orphans.length} processes left by an earlier test run`);
  process.env[RUN_MARKER] = self;
  return () => {
    const left = markedProcesses().filter((p) => p.run === self && p.ppid !== process.pid);
    const groups = killAll(left);
    if (left.length > 0)
      console.warn(`killed ${left.length} processes (${groups.length} groups) a test left running`);
  };
}
