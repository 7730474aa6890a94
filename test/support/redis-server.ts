import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/services/free-port.ts';

export interface RedisServerOptions {
  /** `--appendonly yes|no`. */
  readonly appendonly: boolean;
  /** `--appendfsync`; Redis's default is everysec. */
  readonly appendfsync?: 'always' | 'everysec' | 'no';
}

/** A private redis-server child process on 127.0.0.1 with its data in a temp dir. */
export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** Pid of the running process. */
  readonly pid: number;
  /** Signals the process by pid (SIGKILL simulates a crash) and waits for it to exit; keeps the data. */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** After kill(): starts a new process on the same port and dir, with `changes` to the persistence options. */
  start(changes?: Partial<RedisServerOptions>): Promise<void>;
  /** Stops the process by pid if it runs, waits for its exit, removes the data dir. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/**
 * Starts `redis-server --port P --bind 127.0.0.1 --save "" --appendonly … --dir <tmp> --daemonize no` on a
 * free port and resolves once it answers PING. If it does not, it is killed and the call rejects with its
 * output. A process 'exit' hook SIGKILLs it if the test process ends without stopping it.
 */
export async function startRedisServer(opts: RedisServerOptions): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-redis-'));
  for (let attempt = 1; ; attempt++) {
    const server = new RedisProcess(opts, dir, await freePort());
    try {
      await server.start();
      return server;
    } catch (err) {
      if (attempt === 3 || !/Address already in use/.test((err as Error).message)) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

class RedisProcess implements RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(
    private opts: RedisServerOptions,
    readonly dir: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (this.child?.pid === undefined) throw new Error('redis-server is not running');
    return this.child.pid;
  }

  async start(changes: Partial<RedisServerOptions> = {}): Promise<void> {
    if (this.running()) throw new Error(`redis-server already runs on port ${this.port}`);
    this.opts = { ...this.opts, ...changes };
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no'];
    args.push('--appendonly', this.opts.appendonly ? 'yes' : 'no', '--dir', this.dir);
    if (this.opts.appendfsync) args.push('--appendfsync', this.opts.appendfsync);
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    process.once('exit', this.killOnExit);
    let output = '';
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    try {
      await waitForPing(this.port, child);
    } catch (err) {
      await this.kill('SIGKILL');
      throw new Error(
        `redis-server on port ${this.port} did not start: ${(err as Error).message}\n${output}`,
      );
    }
  }

  async kill(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (this.running()) process.kill(this.pid, signal);
    await this.exited;
    process.off('exit', this.killOnExit);
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }

  private running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await pingOnce(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no PONG within ${START_TIMEOUT_MS} ms`);
}

/** One PING over a raw connection; false on refusal, LOADING or any other answer. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
