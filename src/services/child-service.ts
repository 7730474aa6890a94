import { type ChildProcess, spawn } from 'node:child_process';
import { signalGroup } from '../chain/process-group.ts';

/** A child process started by `startChildService`, ready once its output matched. */
export interface ChildService {
  readonly pid: number;
  /** The match of `ready` against the line that announced readiness. */
  readonly ready: RegExpExecArray;
  /** The last lines of output, for error messages. */
  tail(): string;
  /** Resolves when the process exits, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `killAfterMs` (default 5 s); resolves once the process has exited. */
  stop(killAfterMs?: number): Promise<void>;
  /** SIGKILL at once (crash simulation); resolves once the process has exited. */
  kill(): Promise<void>;
}

export interface ChildServiceOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** A line of stdout or stderr matching this means the service is ready. */
  readonly ready: RegExp;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Every output line, e.g. to forward logs. */
  readonly onLine?: (line: string) => void;
  /**
   * Give the child a stdin pipe this process never writes to: it closes when this process dies, however it dies,
   * so a child that watches it (`allegro` under ALLEGRO_EXIT_WITH_PARENT=1) can stop instead of living on.
   */
  readonly stdinLifeline?: boolean;
}

const TAIL_LINES = 40;

/**
 * Spawns a long-running service in its own process group and resolves once a line of its output matches
 * `ready`. Rejects with the end of its output if it exits or times out first. Signals go to the whole group, so
 * nothing the child started outlives it; the group is killed if this process exits.
 */
export function startChildService(options: ChildServiceOptions): Promise<ChildService> {
  const child: ChildProcess = spawn(options.command, [...options.args], {
    stdio: [options.stdinLifeline ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    detached: true,
  });
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  process.on('exit', killOnExit);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.off('exit', killOnExit);
      resolve({ code, signal });
    }),
  );
  const lines: string[] = [];
  const tail = () => lines.join('\n');
  const stopWith = async (signal: NodeJS.Signals, killAfterMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    signalGroup(child, signal);
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), killAfterMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<ChildService>((resolve, reject) => {
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signalGroup(child, 'SIGKILL');
      reject(new Error(`${options.command} ${options.args[0] ?? ''}: ${why}\n${tail()}`));
    };
    const timer = setTimeout(() => fail('not ready in time'), options.timeoutMs ?? 30_000);
    const onLine = (line: string) => {
      lines.push(line);
      if (lines.length > TAIL_LINES) lines.shift();
      options.onLine?.(line);
      const match = settled ? null : options.ready.exec(line);
      if (!match) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        pid: child.pid!,
        ready: match,
        tail,
        exited,
        stop: (killAfterMs = 5000) => stopWith('SIGTERM', killAfterMs),
        kill: () => stopWith('SIGKILL', 0),
      });
    };
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
        }
      });
    }
    child.once('error', (err) => fail(err.message));
    void exited.then(({ code, signal }) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}
