import { readFile } from 'node:fs/promises';
import { bytesEqual, fromHex, toHex } from '../../protocol/bytes.ts';
import {
  type Committee,
  type CommitteeMember,
  committeeProblem,
  findMember,
} from '../../protocol/committee.ts';
import { decodeTagged, encodeTagged } from '../../protocol/tagged-json.ts';
import type { Store } from '../../store/store.ts';
import type { BackoffOptions } from '../../util/backoff.ts';
import type { Logger } from '../../util/logger.ts';
import { ServiceError } from '../service-error.ts';
import { peerAddress } from './peer-address.ts';
import { askPeerIdentities } from './peer-identities.ts';

/** A committee whose member list the caller owns. */
export type ResolvedCommittee = Committee & { members: CommitteeMember[] };

export interface CommitteeSourceOptions {
  /**
   * This validator: name, id and the public key of its `--seed`. Absent for an observer (the aggregator): the
   * committee is then exactly the peers, and no membership of its own is checked.
   */
  readonly self?: CommitteeMember;
  readonly chainId: bigint;
  readonly epoch: bigint;
  /** `--committee FILE`: the committee is configuration, and peers are not asked. */
  readonly committeeFile?: string;
  /** `--peers`: without a file, the committee is this validator plus these peers. */
  readonly peers: readonly string[];
  /** Where the learned committee is pinned (key `committee/pinned`). */
  readonly store: Store;
  readonly logger: Logger;
  /** First start: how long to wait until every peer answered GetValidatorInfo; default 60 s. */
  readonly timeoutMs?: number;
  /** Later starts: how long to wait for peers to confirm their pinned keys; default 5 s. */
  readonly recheckTimeoutMs?: number;
  /** Retry delays while a peer does not answer; default 250 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
  /**
   * A validator refuses a committee of fewer than MIN_SAFE_COMMITTEE members unless this is set (demos, tests);
   * then it warns. An observer (no `self`) is not checked.
   */
  readonly allowSmallCommittee?: boolean;
}

/** Fewest members of a committee that tolerates a faulty validator: 3f+1 with f = 1. */
export const MIN_SAFE_COMMITTEE = 4;

/** The Store key of the committee learned on first start. */
export const PINNED_COMMITTEE_KEY = 'committee/pinned';

/**
 * The committee this validator runs with (ARCHITECTURE.md "Committee is configuration"; fixes reference §14
 * trust-on-first-use). With a committee file: that file, which must list this validator with its key. Without:
 * this validator plus its peers as they describe themselves in GetValidatorInfo (§6.7) on FIRST start only, then
 * pinned in the store; later starts use the pinned committee, refuse a changed peer set, and refuse to start if a
 * peer now reports another id or key (ServiceError KEY_CHANGED). Peers must serve GetValidatorInfo while this
 * runs, so a node should answer it before its committee is resolved.
 */
export async function resolveCommittee(options: CommitteeSourceOptions): Promise<ResolvedCommittee> {
  const known = options.committeeFile === undefined ? options.peers.length + 1 : MIN_SAFE_COMMITTEE;
  if (options.self && !options.allowSmallCommittee && known < MIN_SAFE_COMMITTEE) throw tooSmall(known);
  const committee = await resolveMembers(options);
  if (options.self) checkSize(options, committee.members.length);
  return committee;
}

async function resolveMembers(options: CommitteeSourceOptions): Promise<ResolvedCommittee> {
  if (options.committeeFile !== undefined) return fileCommittee(options, options.committeeFile);
  const addresses = options.peers.map(peerAddress);
  const pinned = await options.store.get(PINNED_COMMITTEE_KEY);
  return pinned === undefined
    ? pinFirstCommittee(options, addresses)
    : recheckPinned(options, addresses, decodePinned(pinned));
}

/**
 * L4 (fixes a lone sidecar trusting its own "QCs" as parents): a validator in a committee below
 * MIN_SAFE_COMMITTEE tolerates no faulty member, so it starts only with `allowSmallCommittee`, and warns. Without
 * a file the size is known from `--peers` and refused before any peer is asked.
 */
function checkSize(options: CommitteeSourceOptions, size: number): void {
  if (size >= MIN_SAFE_COMMITTEE) return;
  if (!options.allowSmallCommittee) throw tooSmall(size);
  options.logger.warn(
    { members: size, minimum: MIN_SAFE_COMMITTEE },
    'small committee: a single faulty validator can break safety (allowed by --allow-small-committee)',
  );
}

/** Reads and checks a committee file (format in the task brief; u64s as decimal strings, hex `0x…` bytes). */
export async function loadCommitteeFile(path: string): Promise<ResolvedCommittee> {
  const fail = (what: string, cause?: unknown): never => {
    throw new ServiceError('CONFIG', `committee file ${path}: ${what}`, { cause });
  };
  const text = await readFile(path, 'utf8').catch((error: unknown) =>
    fail(`cannot read (${describe(error)})`, error),
  );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`not valid JSON (${describe(error)})`, error);
  }
  const root = object(json, 'the document', fail);
  if (!Array.isArray(root.members)) return fail('members must be an array');
  const committee: ResolvedCommittee = {
    chainId: u64(root.chainId, 'chainId', fail),
    epoch: u64(root.epoch, 'epoch', fail),
    members: root.members.map((value: unknown, i) => memberFromJson(value, `members[${i}]`, fail)),
  };
  const problem = committeeProblem(committee);
  if (problem !== undefined) fail(problem);
  return committee;
}

async function fileCommittee(options: CommitteeSourceOptions, path: string): Promise<ResolvedCommittee> {
  const committee = await loadCommitteeFile(path);
  const fail = (what: string): never => {
    throw new ServiceError('CONFIG', `committee file ${path}: ${what}`);
  };
  if (committee.chainId !== options.chainId || committee.epoch !== options.epoch) {
    fail(
      `chain ${committee.chainId} epoch ${committee.epoch} differ from this validator's chain ${options.chainId} epoch ${options.epoch}`,
    );
  }
  const { self } = options;
  if (!self) return committee;
  const member =
    findMember(committee, self.id) ?? fail(`this validator ${self.name} (${toHex(self.id)}) is not a member`);
  if (!bytesEqual(member.publicKey, self.publicKey)) {
    fail(
      `member ${member.name} has public key ${toHex(member.publicKey)}, but this validator's seed gives ${toHex(self.publicKey)}`,
    );
  }
  return committee;
}

async function pinFirstCommittee(
  options: CommitteeSourceOptions,
  addresses: string[],
): Promise<ResolvedCommittee> {
  const answers = await askPeerIdentities(addresses, { ...options, timeoutMs: options.timeoutMs ?? 60_000 });
  const silent = addresses.filter((_, i) => answers[i] === undefined);
  if (silent.length > 0) {
    throw new ServiceError(
      'PEERS_UNREACHABLE',
      `no GetValidatorInfo answer from ${silent.join(', ')}: cannot learn the committee`,
    );
  }
  const peers = answers as CommitteeMember[];
  for (const peer of peers) {
    options.logger.warn(
      { peer: peer.url, name: peer.name, validatorId: toHex(peer.id), publicKey: toHex(peer.publicKey) },
      'trust on first use: pinning the validator id and key this peer reports',
    );
  }
  const committee: ResolvedCommittee = {
    chainId: options.chainId,
    epoch: options.epoch,
    members: options.self ? [options.self, ...peers] : peers,
  };
  const problem = committeeProblem(committee);
  if (problem !== undefined) throw new ServiceError('CONFIG', `learned committee: ${problem}`);
  await options.store.put(PINNED_COMMITTEE_KEY, encodeTagged(committee), { durable: true });
  return committee;
}

async function recheckPinned(
  options: CommitteeSourceOptions,
  addresses: string[],
  pinned: ResolvedCommittee,
): Promise<ResolvedCommittee> {
  const { self } = options;
  const fail = (code: 'CONFIG' | 'KEY_CHANGED', what: string): never => {
    throw new ServiceError(code, `pinned committee (store key ${PINNED_COMMITTEE_KEY}): ${what}`);
  };
  if (pinned.chainId !== options.chainId || pinned.epoch !== options.epoch) {
    fail(
      'CONFIG',
      `pinned for chain ${pinned.chainId} epoch ${pinned.epoch}, not chain ${options.chainId} epoch ${options.epoch}`,
    );
  }
  const pinnedSelf = self && findMember(pinned, self.id);
  if (self && (!pinnedSelf || !bytesEqual(pinnedSelf.publicKey, self.publicKey))) {
    fail(
      'KEY_CHANGED',
      `this validator ${self.name} (${toHex(self.id)}, key ${toHex(self.publicKey)}) is not the pinned one`,
    );
  }
  const pinnedPeers = pinned.members.filter((m) => m !== pinnedSelf);
  const added = addresses.filter((a) => !pinnedPeers.some((m) => m.url === a));
  const removed = pinnedPeers.filter((m) => !addresses.includes(m.url ?? '')).map((m) => m.url ?? m.name);
  if (added.length > 0 || removed.length > 0) {
    fail(
      'CONFIG',
      `peers changed since pinning (added: ${added.join(', ') || 'none'}; removed: ${removed.join(', ') || 'none'}); use --committee FILE to change the committee`,
    );
  }
  const answers = await askPeerIdentities(addresses, {
    ...options,
    timeoutMs: options.recheckTimeoutMs ?? 5_000,
  });
  addresses.forEach((address, i) => {
    const was = pinnedPeers.find((m) => m.url === address)!;
    const now = answers[i];
    if (now === undefined) {
      options.logger.warn(
        { peer: address, name: was.name },
        'peer did not answer: keeping its pinned validator id and key',
      );
    } else if (!bytesEqual(now.id, was.id) || !bytesEqual(now.publicKey, was.publicKey)) {
      fail(
        'KEY_CHANGED',
        `peer ${address} (${was.name}) now reports validator id ${toHex(now.id)} with public key ${toHex(now.publicKey)}, but pinned validator id ${toHex(was.id)} with public key ${toHex(was.publicKey)}: refusing to start`,
      );
    }
  });
  return pinned;
}

function tooSmall(size: number): ServiceError {
  return new ServiceError(
    'CONFIG',
    `a committee of ${size} tolerates no faulty validator: ${MIN_SAFE_COMMITTEE} members at least, or --allow-small-committee for a demo`,
  );
}

function decodePinned(bytes: Uint8Array): ResolvedCommittee {
  let committee: ResolvedCommittee;
  try {
    committee = decodeTagged<ResolvedCommittee>(bytes);
  } catch (error) {
    throw new ServiceError('CONFIG', `pinned committee (store key ${PINNED_COMMITTEE_KEY}) is unreadable`, {
      cause: error,
    });
  }
  const problem = committeeProblem(committee);
  if (problem !== undefined)
    throw new ServiceError('CONFIG', `pinned committee (store key ${PINNED_COMMITTEE_KEY}): ${problem}`);
  return committee;
}

type Fail = (what: string, cause?: unknown) => never;

function memberFromJson(value: unknown, at: string, fail: Fail): CommitteeMember {
  const member = object(value, at, fail);
  if (typeof member.name !== 'string' || member.name === '') fail(`${at}.name must be a non-empty string`);
  const url = member.url;
  if (url !== undefined && typeof url !== 'string') fail(`${at}.url must be a string`);
  return {
    name: member.name as string,
    id: bytes32(member.validatorId, `${at}.validatorId`, fail),
    publicKey: bytes32(member.publicKey, `${at}.publicKey`, fail),
    ...(url === undefined ? {} : { url: urlOf(url as string, `${at}.url`, fail) }),
  };
}

function object(value: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function u64(value: unknown, field: string, fail: Fail): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value) || BigInt(value) >= 2n ** 64n) {
    fail(`${field} must be a u64 as a decimal string, e.g. "1337"`);
  }
  return BigInt(value as string);
}

function bytes32(value: unknown, field: string, fail: Fail): Uint8Array {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(value))
    fail(`${field} must be 0x and 64 hex digits (32 bytes)`);
  return fromHex(value as string);
}

function urlOf(value: string, field: string, fail: Fail): string {
  try {
    return peerAddress(value);
  } catch (error) {
    return fail(`${field}: ${describe(error)}`, error);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
