import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../protocol/bytes.ts';
import type { Committee, CommitteeMember } from '../../protocol/committee.ts';
import { createNodeCryptoSuite } from '../../protocol/crypto/node-suite.ts';
import { freePort } from '../free-port.ts';
import { type SidecarProcess, startSidecarProcess } from '../sidecar/sidecar-process.ts';
import type { DemoValidator } from './demo-validators.ts';

/** Sidecar processes of one committee, each on its own 127.0.0.1 port. */
export interface SidecarCommittee {
  readonly committee: Committee;
  readonly processes: ReadonlyMap<string, SidecarProcess>;
  /** Stops every process (SIGTERM, SIGKILL after 5 s), by pid. */
  stop(): Promise<void>;
}

export interface SidecarCommitteeOptions {
  readonly validators: readonly DemoValidator[];
  readonly chainId: bigint;
  readonly epoch: bigint;
  /** The committee file and each validator's LMDB store go here. */
  readonly dir: string;
  /** Flags added to every sidecar's command line (e.g. `--rpc-url`, `--demo-balances`). */
  readonly flags?: readonly string[];
  /** Flags of one validator only (e.g. its `--settlement-key`). */
  readonly flagsOf?: (v: DemoValidator) => readonly string[];
  /** Validators not started: members of the committee whose sidecar is down. */
  readonly down?: ReadonlySet<string>;
  /**
   * The URL at which `puller` reaches its peer `member` (default the member's own URL), e.g. a proxy per peer
   * link so links between sidecars can be cut while clients still dial each sidecar directly. Each sidecar then
   * reads its own committee file; `committee` keeps the members' own URLs.
   */
  readonly peerUrl?: (puller: DemoValidator, member: CommitteeMember) => Promise<string>;
}

/** A committee below 3f+1 with f = 1 tolerates no fault; demo sidecars of such a committee say so explicitly. */
const MIN_SAFE_COMMITTEE = 4;

/**
 * Starts one `allegro sidecar` process per validator (except the `down` ones), all sharing one committee file
 * (the committee is configuration: nobody trusts a peer on first use). If any fails to start, the others are
 * stopped before the error is thrown.
 */
export async function startSidecarCommittee(options: SidecarCommitteeOptions): Promise<SidecarCommittee> {
  const suite = createNodeCryptoSuite();
  const { validators, chainId, epoch, dir } = options;
  const members = await Promise.all(
    validators.map(async (v) => ({
      name: v.name,
      id: v.id,
      publicKey: suite.ed25519.signer(v.seed).publicKey,
      url: `http://127.0.0.1:${await freePort()}`,
    })),
  );
  const committee: Committee = { chainId, epoch, members };
  const committeeFile = join(dir, 'committee.json');
  await writeFile(committeeFile, committeeFileJson(committee));
  const { peerUrl } = options;
  const committeeFileOf = async (v: DemoValidator) => {
    if (!peerUrl) return committeeFile;
    const own = join(dir, `committee-${v.name}.json`);
    const seen = await Promise.all(
      members.map(async (m) => (m.name === v.name ? m : { ...m, url: await peerUrl(v, m) })),
    );
    await writeFile(own, committeeFileJson({ chainId, epoch, members: seen }));
    return own;
  };
  const processes = new Map<string, SidecarProcess>();
  const stop = async () => {
    await Promise.all([...processes.values()].map((p) => p.stop()));
  };
  const started = await Promise.allSettled(
    validators.map(async (v, i) => {
      if (options.down?.has(v.name)) return;
      const flags = [
        ...sidecarIdentityFlags(v, members[i]!.url, join(dir, v.name)),
        ...['--chain-id', String(chainId), '--epoch', String(epoch), '--committee', await committeeFileOf(v)],
        ...(validators.length < MIN_SAFE_COMMITTEE ? ['--allow-small-committee'] : []),
        ...(options.flags ?? []),
        ...(options.flagsOf?.(v) ?? []),
      ];
      processes.set(v.name, await startSidecarProcess(flags));
    }),
  );
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { committee, processes, stop };
}

/** The identity, listen address and LMDB store flags of one validator's sidecar. */
export function sidecarIdentityFlags(v: DemoValidator, url: string, storeDir: string): string[] {
  return [
    ...['--name', v.name, '--listen', url.replace('http://', '')],
    ...['--seed', toHex(v.seed).slice(2), '--validator-id', toHex(v.id).slice(2)],
    ...['--store', `lmdb:${storeDir}`],
  ];
}

/** A committee in the `--committee FILE` format: u64s as decimal strings, 0x-hex ids and keys. */
export function committeeFileJson(committee: Committee): string {
  const members = committee.members.map((m) => ({
    name: m.name,
    validatorId: toHex(m.id),
    publicKey: toHex(m.publicKey),
    ...(m.url ? { url: m.url } : {}),
  }));
  return JSON.stringify(
    { chainId: String(committee.chainId), epoch: String(committee.epoch), members },
    null,
    2,
  );
}
