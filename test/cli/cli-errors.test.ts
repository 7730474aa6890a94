import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { committeeFileJson } from '../../src/services/demo/sidecar-committee.ts';
import { freePort } from '../../src/services/free-port.ts';
import { type SidecarProcess, startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { openStore } from '../../src/store/open-store.ts';
import { DAVE } from '../support/demo-keys.ts';

const BIN = fileURLToPath(new URL('../../bin/allegro.mjs', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function allegro(...args: string[]): Promise<Run> {
  const env = { ...process.env };
  delete env.ALLEGRO_DEBUG;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** The run failed with exactly one line on stderr, no stack trace, and the given exit code. */
function oneLine(run: Run, code: number): string {
  expect(run.code).toBe(code);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(run.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

let dir: string;
let committeeFile: string;
let held: Server | undefined;
let holder: SidecarProcess | undefined;
const dave = [
  '--name',
  'Dave',
  '--seed',
  toHex(DAVE.seed).slice(2),
  '--validator-id',
  toHex(DAVE.id).slice(2),
];
const alone = [...dave, '--allow-small-committee'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allegro-cli-errors-'));
  committeeFile = join(dir, 'committee.json');
  const publicKey = createNodeCryptoSuite().ed25519.signer(DAVE.seed).publicKey;
  const committee = { chainId: 1337n, epoch: 1n, members: [{ name: 'Dave', id: DAVE.id, publicKey }] };
  await writeFile(committeeFile, committeeFileJson(committee));
});

afterAll(async () => {
  await holder?.stop();
  await new Promise<void>((resolve) => (held ? held.close(() => resolve()) : resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('allegro errors: one line on stderr, no stack trace', () => {
  it('a busy --listen port says which port and which flag to change (exit 1)', async () => {
    held = createServer();
    await new Promise<void>((resolve) => held!.listen(0, '127.0.0.1', resolve));
    const port = (held.address() as { port: number }).port;
    const run = await allegro('sidecar', ...alone, '--store', 'memory', '--listen', `127.0.0.1:${port}`);
    expect(oneLine(run, 1)).toBe(
      `allegro sidecar: port 127.0.0.1:${port} is in use (pick another with --listen)`,
    );
  });

  it('a malformed --rpc-url is a usage error naming the flag (exit 2)', async () => {
    const run = await allegro(
      'sidecar',
      ...alone,
      '--committee',
      committeeFile,
      '--rpc-url',
      'localhost8545',
    );
    expect(oneLine(run, 2)).toBe(
      'allegro sidecar: --rpc-url must be a URL (http:// or https://), got "localhost8545" (see `allegro sidecar --help`)',
    );
  });

  it('an unreachable --rpc-url says which node it could not reach and how to start one (exit 1)', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = await allegro(
      'sidecar',
      ...alone,
      ...['--store', 'memory', '--listen', '127.0.0.1:0', '--committee', committeeFile, '--rpc-url', url],
    );
    expect(oneLine(run, 1)).toBe(
      `allegro sidecar: cannot reach Tempo node at ${url} (is it running? start one with \`allegro devnet\`)`,
    );
  });

  it('a store directory held by a running sidecar is refused, naming the store (exit 1)', async () => {
    const store = `lmdb:${join(dir, 'store')}`;
    holder = await startSidecarProcess([...alone, '--store', store, '--listen', '127.0.0.1:0']);
    const run = await allegro('sidecar', ...alone, '--store', store, '--listen', '127.0.0.1:0');
    expect(oneLine(run, 1)).toMatch(
      /^allegro sidecar: store directory \S+ is .+ \(stop the process holding it, or pick another --store\)$/,
    );
  });

  it('an aggregator store of an earlier version (records beside the snapshots) is refused, saying what to do (exit 1)', async () => {
    const storeDir = join(dir, 'old-aggregator');
    const old = await openStore(`lmdb:${storeDir}`);
    await old.put('aggregator/payment/0xaa', new Uint8Array([1]));
    await old.close();
    const run = await allegro(
      'aggregator',
      ...['--sidecars', '127.0.0.1:9', '--committee', committeeFile, '--store', `lmdb:${storeDir}`],
      ...['--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
    );
    expect(oneLine(run, 1)).toMatch(/was written by an earlier aggregator .*start with a new --store/);
  });

  it('an unknown flag is one usage line pointing at the help (exit 2)', async () => {
    const run = await allegro('sidecar', '--frobnicate');
    expect(oneLine(run, 2)).toBe(
      'allegro sidecar: unknown option --frobnicate (see `allegro sidecar --help`)',
    );
  });

  it('an unknown command points at the top-level help (exit 2)', async () => {
    const run = await allegro('sidecars');
    expect(oneLine(run, 2)).toBe('allegro: unknown command "sidecars" (see `allegro --help`)');
  });
});

describe('allegro help', () => {
  it('`demo grpc --help` prints the help of demo grpc, not of demo', async () => {
    const run = await allegro('demo', 'grpc', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: allegro demo grpc --dave-url URL --edgar-url URL/);
    expect(run.stdout).toMatch(/--dave-url URL/);
    expect(run.stdout).not.toMatch(/--validators/);
  });

  it('`demo --help` lists grpc as a command of its own', async () => {
    const run = await allegro('demo', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ {2}grpc +the chained payments against two running sidecars/m);
    expect(run.stdout).not.toMatch(/^ +--dave-url/m);
  });

  it('names what each value looks like instead of VALUE', async () => {
    const run = await allegro('sidecar', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--listen HOST:PORT /);
    expect(run.stdout).toMatch(/--seed HEX32 /);
    expect(run.stdout).toMatch(/--rpc-url URL /);
    expect(run.stdout).toMatch(/--committee FILE /);
    expect(run.stdout).not.toMatch(/ VALUE /);
  });

  it('the top-level help lists every command and the environment variables', async () => {
    const run = await allegro('--help');
    expect(run.code).toBe(0);
    for (const name of ['devnet', 'sidecar', 'aggregator', 'bench', 'conformance', 'demo']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    expect(run.stdout).toMatch(/ALLEGRO_LOG_LEVEL/);
    expect(run.stdout).toMatch(/ALLEGRO_DEBUG=1/);
  });
});
