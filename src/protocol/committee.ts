import { bytesEqual, toHex } from './bytes.ts';

/** The certificate domain tag and protocol version every Allegro certificate is signed under (reference §4). */
export const CERT_DOMAIN_TAG = 'tempo.fastpay.cert.v1';
export const CERT_PROTOCOL_VERSION = 1;

/** One validator of the committee. `url` is where its sidecar serves gRPC, when known. */
export interface CommitteeMember {
  readonly name: string;
  readonly id: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly url?: string;
}

/**
 * The pinned validator set and signing context. Configuration, never trust-on-first-use per request
 * (ARCHITECTURE.md "Committee is configuration"; fixes reference §4 VerificationContext, which has no quorum).
 */
export interface Committee {
  readonly chainId: bigint;
  readonly epoch: bigint;
  readonly members: readonly CommitteeMember[];
}

/** Largest number of faulty validators tolerated: f = floor((n − 1) / 3). */
export function faultTolerance(committee: Committee): number {
  return Math.floor((committee.members.length - 1) / 3);
}

/**
 * Certificates needed for a QC: n − f, which is 2f+1 for n = 3f+1 and keeps any two quorums intersecting in
 * at least f+1 validators for every n (2 members: 2-of-2). Taken from the committee, never from the QC.
 */
export function quorumThreshold(committee: Committee): number {
  return committee.members.length - faultTolerance(committee);
}

/** The member with this 32-byte id, or undefined. */
export function findMember(committee: Committee, id: Uint8Array): CommitteeMember | undefined {
  return committee.members.find((m) => bytesEqual(m.id, id));
}

/**
 * Checks a committee is usable: at least one member, 32-byte ids and keys, no duplicate id or key.
 * Returns the problem, or undefined when the committee is sound.
 */
export function committeeProblem(committee: Committee): string | undefined {
  if (committee.members.length === 0) return 'committee has no members';
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const m of committee.members) {
    if (m.id.length !== 32) return `member ${m.name}: validator id must be 32 bytes`;
    if (m.publicKey.length !== 32) return `member ${m.name}: public key must be 32 bytes`;
    const id = toHex(m.id);
    const key = toHex(m.publicKey);
    if (ids.has(id)) return `duplicate validator id ${id}`;
    if (keys.has(key)) return `duplicate public key ${key}`;
    ids.add(id);
    keys.add(key);
  }
  return undefined;
}
