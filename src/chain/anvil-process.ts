import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { ChainError } from './chain-port.ts';
import { signalGroup } from './process-group.ts';

export interface AnvilOptions {
  /** Port on 127.0.0.1; 0 or undefined lets the OS pick a free one. */
  readonly port?: number;
  /** Seconds between blocks (fractions allowed); undefined mines one block per transaction. */
  readonly blockTime?: number;
  /** Chain id; anvil's default for `--network tempo` is 31337. */
  readonly chainId?: bigint;
  /** How long to wait for "Listening on". Default 20 s. */
  readonly startTimeoutMs?: number;
  /** anvil `--state FILE`: load the chain from FILE when it exists, dump it there on exit (a restart keeps it). */
  readonly state?: string;
  /** Path of the anvil binary. Default: the one from the `@foundry-rs/anvil` npm package. */
  readonly binary?: string;
}

/** A running `anvil --network tempo` child process. */
export interface AnvilProcess {
  readonly pid: number;
  readonly port: number;
  readonly rpcUrl: string;
  readonly wsUrl: string;
  /** SIGTERM, then SIGKILL after `killAfterMs` (default 5 s); resolves once the process has exited. */
  stop(killAfterMs?: number): Promise<void>;
}

const LISTENING = /Listening on 127\.0\.0\.1:(\d+)/;
const LOG_TAIL_LINES = 40;

/** Path of the anvil binary shipped by `@foundry-rs/anvil` for this platform (not the npx wrapper). */
export function anvilBinaryPath(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const exe = process.platform === 'win32' ? '.exe' : '';
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  try {
    return createRequire(import.meta.url).resolve(`${pkg}/bin/anvil${exe}`);
  } catch (err) {
    throw new ChainError('BINARY_MISSING', `anvil binary not found: ${pkg} is not installed`, { cause: err });
  }
}

/**
 * Starts `anvil --network tempo` on 127.0.0.1 and resolves once it listens. Fails with a ChainError:
 * BINARY_MISSING, PORT_IN_USE, or START_FAILED (early exit or timeout, with the end of anvil's output).
 */
export function startAnvil(options: AnvilOptions = {}): Promise<AnvilProcess> {
  const binary = options.binary ?? anvilBinaryPath();
  const args = ['--network', 'tempo', '--host', '127.0.0.1', '--port', String(options.port ?? 0)];
  if (options.blockTime !== undefined) args.push('--block-time', String(options.blockTime));
  if (options.chainId !== undefined) args.push('--chain-id', options.chainId.toString());
  if (options.state !== undefined) args.push('--state', options.state);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = (): void => signalGroup(child, 'SIGKILL');
  process.on('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const tail: string[] = [];
  return new Promise<AnvilProcess>((resolve, reject) => {
    let settled = false;
    const fail = (error: ChainError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signalGroup(child, 'SIGKILL');
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new ChainError('START_FAILED', `anvil did not listen in time\n${tail.join('\n')}`)),
      options.startTimeoutMs ?? 20_000,
    );
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      const m = settled ? null : LISTENING.exec(line);
      if (!m) return;
      settled = true;
      clearTimeout(timer);
      const port = Number(m[1]);
      resolve({
        pid: child.pid!,
        port,
        rpcUrl: `http://127.0.0.1:${port}`,
        wsUrl: `ws://127.0.0.1:${port}`,
        stop: (killAfterMs = 5_000) => stopChild(child, killAfterMs),
      });
    };
    drainLines(child.stdout!, onLine);
    drainLines(child.stderr!, onLine);
    child.once('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'BINARY_MISSING' : 'START_FAILED';
      fail(new ChainError(code, `cannot run anvil at ${binary}: ${err.message}`, { cause: err }));
    });
    child.once('exit', (exitCode, signal) => {
      const log = tail.join('\n');
      if (/address already in use/i.test(log)) {
        fail(new ChainError('PORT_IN_USE', `port ${options.port} on 127.0.0.1 is already in use`));
      } else {
        fail(new ChainError('START_FAILED', `anvil exited (${signal ?? exitCode}) before listening\n${log}`));
      }
    });
  });
}

/** Reads a stream to the end (anvil blocks if its pipes fill up) and reports every line. */
function drainLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
}

function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}
