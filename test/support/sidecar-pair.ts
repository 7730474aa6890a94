import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { committeeFileJson } from '../../src/services/demo/sidecar-committee.ts';
import { freePort } from '../../src/services/free-port.ts';
import { type SidecarProcess, startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { DAVE, EDGAR } from './demo-keys.ts';

export interface Identity {
  readonly name: string;
  readonly id: Uint8Array;
  readonly seed: Uint8Array;
}

/** The seed README's command line for one validator, with its store in `dir`. */
export function sidecarFlags(
  v: Identity,
  port: number,
  peers: number[],
  dir: string,
  extra: string[] = [],
): string[] {
  return [
    '--name',
    v.name,
    '--listen',
    `127.0.0.1:${port}`,
    '--seed',
    toHex(v.seed).slice(2),
    '--validator-id',
    toHex(v.id).slice(2),
    '--chain-id',
    '1337',
    '--epoch',
    '1',
    '--block-height',
    '1',
    '--demo-balances',
    '--peers',
    peers.map((p) => `http://127.0.0.1:${p}`).join(','),
    '--gossip-interval-ms',
    '100',
    '--store',
    `lmdb:${join(dir, v.name)}`,
    ...extra,
  ];
}

/**
 * Dave and Edgar as two peered sidecar processes (reference README), each with an LMDB store in a temp dir; or
 * any `members`, each peered with all the others.
 */
export class SidecarPair {
  readonly processes = new Map<string, SidecarProcess>();
  readonly ports = new Map<string, number>();
  private constructor(
    readonly dir: string,
    readonly extra: string[],
    readonly own: (v: Identity) => string[],
  ) {}

  /** `own` adds flags of one member only (e.g. its --settlement-key). */
  static async start(
    extra: string[] = [],
    members: readonly Identity[] = [DAVE, EDGAR],
    own: (v: Identity) => string[] = () => [],
  ): Promise<SidecarPair> {
    const dir = await mkdtemp(join(tmpdir(), 'allegro-sidecars-'));
    const ports = new Map<string, number>();
    for (const v of members) ports.set(v.name, await freePort());
    const pair = new SidecarPair(dir, [...extra, ...(await committeeFlags(dir, members, ports, extra))], own);
    for (const [name, port] of ports) pair.ports.set(name, port);
    await Promise.all(members.map((v) => pair.start(v)));
    return pair;
  }

  /** Starts (or restarts) one validator with the pair's flags. */
  async start(v: Identity): Promise<SidecarProcess> {
    const other = [...this.ports.entries()].filter(([name]) => name !== v.name).map(([, p]) => p);
    const proc = await startSidecarProcess(
      sidecarFlags(v, this.ports.get(v.name)!, other, this.dir, [...this.extra, ...this.own(v)]),
      {
        env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' },
      },
    );
    this.processes.set(v.name, proc);
    return proc;
  }

  url(name: string): string {
    return `127.0.0.1:${this.ports.get(name)}`;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A committee below 4 runs only with --allow-small-committee; a chain-following sidecar (--rpc-url) needs its
 * committee as a file, written here from the members' keys.
 */
async function committeeFlags(
  dir: string,
  members: readonly Identity[],
  ports: ReadonlyMap<string, number>,
  extra: readonly string[],
): Promise<string[]> {
  const flags = members.length < 4 ? ['--allow-small-committee'] : [];
  if (!extra.includes('--rpc-url')) return flags;
  const suite = createNodeCryptoSuite();
  const file = join(dir, 'committee.json');
  const committee = {
    chainId: 1337n,
    epoch: 1n,
    members: members.map((v) => ({
      name: v.name,
      id: v.id,
      publicKey: suite.ed25519.signer(v.seed).publicKey,
      url: `http://127.0.0.1:${ports.get(v.name)}`,
    })),
  };
  await writeFile(file, committeeFileJson(committee));
  return [...flags, '--committee', file];
}
