import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import type { CommitteeMember } from '../../src/protocol/committee.ts';
import { freePort } from '../../src/services/free-port.ts';
import { ServiceError } from '../../src/services/service-error.ts';
import {
  type CommitteeSourceOptions,
  loadCommitteeFile,
  PINNED_COMMITTEE_KEY,
  resolveCommittee,
} from '../../src/services/shared/committee-source.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createLogger } from '../../src/util/logger.ts';
import { type BoardPeer, Running } from '../support/board-peer.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { suite } from '../support/validator-harness.ts';

const keyOf = (seed: Uint8Array) => suite.ed25519.signer(seed).publicKey;
const SELF: CommitteeMember = { name: DAVE.name, id: DAVE.id, publicKey: keyOf(DAVE.seed) };
const FRANK = { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) };
const silent = createLogger('committee-test', 'silent');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allegro-committee-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const running = new Running();
afterEach(() => running.stopAll());
const peer = running.peer.bind(running);

function memberJson(v: { name: string; id: Uint8Array; seed: Uint8Array }, url: string) {
  return { name: v.name, validatorId: toHex(v.id), publicKey: toHex(keyOf(v.seed)), url };
}

const goodFile = {
  chainId: '1337',
  epoch: '1',
  members: [memberJson(DAVE, 'http://127.0.0.1:50051'), memberJson(EDGAR, '127.0.0.1:50052/')],
};

let fileCount = 0;
async function committeeFile(content: unknown): Promise<string> {
  const path = join(dir, `committee-${fileCount++}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(
    () => expect.fail('expected a ServiceError'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  return error as ServiceError;
}

function options(overrides: Partial<CommitteeSourceOptions>): CommitteeSourceOptions {
  return {
    self: SELF,
    chainId: 1337n,
    epoch: 1n,
    peers: [],
    store: new MemoryStore(),
    logger: silent,
    backoff: { initialMs: 20, maxMs: 100 },
    allowSmallCommittee: true,
    ...overrides,
  };
}

describe('loadCommitteeFile', () => {
  it('reads members, u64 strings and 0x ids and keys, normalising http:// URLs to host:port', async () => {
    const committee = await loadCommitteeFile(await committeeFile(goodFile));
    expect(committee).toEqual({
      chainId: 1337n,
      epoch: 1n,
      members: [
        { ...SELF, url: '127.0.0.1:50051' },
        { name: EDGAR.name, id: EDGAR.id, publicKey: keyOf(EDGAR.seed), url: '127.0.0.1:50052' },
      ],
    });
  });

  it('names the file and the field of every mistake', async () => {
    const edgar = goodFile.members[1]!;
    const cases: [unknown, RegExp][] = [
      ['{ nope', /not valid JSON/],
      [[], /the document must be an object/],
      [{ ...goodFile, members: {} }, /members must be an array/],
      [{ ...goodFile, chainId: 1337 }, /chainId must be a u64 as a decimal string/],
      [{ ...goodFile, epoch: '18446744073709551616' }, /epoch must be a u64/],
      [{ ...goodFile, members: [goodFile.members[0], 'x'] }, /members\[1\] must be an object/],
      [{ ...goodFile, members: [{ ...edgar, name: '' }] }, /members\[0\]\.name must be a non-empty string/],
      [
        { ...goodFile, members: [{ ...edgar, validatorId: '0x1234' }] },
        /members\[0\]\.validatorId must be 0x/,
      ],
      [{ ...goodFile, members: [{ ...edgar, publicKey: undefined }] }, /members\[0\]\.publicKey must be 0x/],
      [
        { ...goodFile, members: [{ ...edgar, url: 'https://h:1' }] },
        /members\[0\]\.url: peer "https:\/\/h:1"/,
      ],
      [{ ...goodFile, members: [edgar, { ...edgar, name: 'Copy' }] }, /duplicate validator id/],
      [{ ...goodFile, members: [] }, /committee has no members/],
    ];
    for (const [content, message] of cases) {
      const path = await committeeFile(content);
      const error = await refusal(loadCommitteeFile(path));
      expect(error.code).toBe('CONFIG');
      expect(error.message).toContain(`committee file ${path}: `);
      expect(error.message).toMatch(message);
    }
    const missing = join(dir, 'missing.json');
    expect((await refusal(loadCommitteeFile(missing))).message).toMatch(
      /committee file .*missing\.json: cannot read/,
    );
  });
});

describe('resolveCommittee with --committee FILE', () => {
  it('returns the file committee when it lists this validator with its key', async () => {
    const committeeFilePath = await committeeFile(goodFile);
    const committee = await resolveCommittee(options({ committeeFile: committeeFilePath }));
    expect(committee.members.map((m) => m.name)).toEqual(['Dave', 'Edgar']);
  });

  it('refuses a file that does not list this validator, gives it another key, or is for another chain', async () => {
    const withoutSelf = await committeeFile({ ...goodFile, members: [goodFile.members[1]] });
    expect((await refusal(resolveCommittee(options({ committeeFile: withoutSelf })))).message).toMatch(
      /this validator Dave \(0xd1d1.*\) is not a member/,
    );
    const otherKey = await committeeFile({
      ...goodFile,
      members: [{ ...goodFile.members[0]!, publicKey: toHex(keyOf(FRANK.seed)) }, goodFile.members[1]],
    });
    expect((await refusal(resolveCommittee(options({ committeeFile: otherKey })))).message).toMatch(
      /member Dave has public key 0x.*, but this validator's seed gives 0x/,
    );
    const path = await committeeFile(goodFile);
    expect((await refusal(resolveCommittee(options({ committeeFile: path, epoch: 2n })))).message).toMatch(
      /chain 1337 epoch 1 differ from this validator's chain 1337 epoch 2/,
    );
  });
});

describe('resolveCommittee without a file: trust on first use, then pinned', () => {
  it('learns each peer through GetValidatorInfo, logs trust on first use, and pins the committee', async () => {
    const edgar = await peer(EDGAR);
    const store = new MemoryStore();
    const { logger, lines } = capturedLogger();
    const committee = await resolveCommittee(options({ peers: [`http://${edgar.address}`], store, logger }));
    const edgarMember = { name: 'Edgar', id: EDGAR.id, publicKey: keyOf(EDGAR.seed), url: edgar.address };
    expect(committee).toEqual({ chainId: 1337n, epoch: 1n, members: [SELF, edgarMember] });
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: expect.stringMatching(/^trust on first use/),
        peer: edgar.address,
        validatorId: toHex(EDGAR.id),
        publicKey: toHex(keyOf(EDGAR.seed)),
      }),
    );
    expect(await store.get(PINNED_COMMITTEE_KEY)).toBeDefined();
  });

  it('retries with backoff until a late peer answers', async () => {
    const port = await freePort();
    const late = new Promise<BoardPeer>((resolve) => setTimeout(() => resolve(peer(EDGAR, { port })), 300));
    const committee = await resolveCommittee(options({ peers: [`127.0.0.1:${port}`] }));
    await late;
    expect(committee.members[1]?.id).toEqual(EDGAR.id);
  });

  it('gives up after the timeout, naming the silent peer', async () => {
    const port = await freePort();
    const error = await refusal(resolveCommittee(options({ peers: [`127.0.0.1:${port}`], timeoutMs: 300 })));
    expect(error.code).toBe('PEERS_UNREACHABLE');
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('on a later start uses the pinned committee, also while a peer is down', async () => {
    const edgar = await peer(EDGAR);
    const store = new MemoryStore();
    const peers = [edgar.address];
    const first = await resolveCommittee(options({ peers, store }));
    expect(await resolveCommittee(options({ peers: [`http://${edgar.address}`], store }))).toEqual(first);

    await edgar.stop();
    const { logger, lines } = capturedLogger();
    expect(await resolveCommittee(options({ peers, store, logger, recheckTimeoutMs: 200 }))).toEqual(first);
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/did not answer/) }));
  });

  /** Pins Edgar, restarts Edgar on its port as `changed`, and returns the refusal of the next start. */
  async function restartAs(changed: { name: string; id: Uint8Array; seed: Uint8Array }) {
    const edgar = await peer(EDGAR);
    const store = new MemoryStore();
    const peers = [edgar.address];
    await resolveCommittee(options({ peers, store }));
    await edgar.stop();
    await peer(changed, { port: edgar.port });
    const error = await refusal(resolveCommittee(options({ peers, store })));
    expect(error.code).toBe('KEY_CHANGED');
    return { error, address: edgar.address };
  }

  it('refuses to start when a pinned peer now reports another public key, naming the peer and both keys', async () => {
    const { error, address } = await restartAs({ ...EDGAR, seed: FRANK.seed });
    expect(error.message).toContain(`peer ${address} (Edgar)`);
    expect(error.message).toContain(`public key ${toHex(keyOf(FRANK.seed))}`);
    expect(error.message).toContain(
      `pinned validator id ${toHex(EDGAR.id)} with public key ${toHex(keyOf(EDGAR.seed))}`,
    );
  });

  it('refuses to start when a pinned peer now reports another validator id', async () => {
    const { error } = await restartAs({ ...EDGAR, id: FRANK.id });
    expect(error.message).toContain(`reports validator id ${toHex(FRANK.id)}`);
  });

  it('refuses a changed peer set or a changed own key instead of re-learning the committee', async () => {
    const edgar = await peer(EDGAR);
    const store = new MemoryStore();
    await resolveCommittee(options({ peers: [edgar.address], store }));
    const otherPort = await freePort();
    const changed = await refusal(resolveCommittee(options({ peers: [`127.0.0.1:${otherPort}`], store })));
    expect(changed.code).toBe('CONFIG');
    expect(changed.message).toMatch(
      new RegExp(
        `peers changed since pinning \\(added: 127.0.0.1:${otherPort}; removed: ${edgar.address}\\)`,
      ),
    );
    const self = { ...SELF, publicKey: keyOf(FRANK.seed) };
    const rekeyed = await refusal(resolveCommittee(options({ self, peers: [edgar.address], store })));
    expect(rekeyed.code).toBe('KEY_CHANGED');
  });

  it('refuses a peer that reports the same id as this validator (a peer list pointing at itself)', async () => {
    const twin = await peer(DAVE);
    const error = await refusal(resolveCommittee(options({ peers: [twin.address] })));
    expect(error.message).toMatch(/learned committee: duplicate validator id/);
  });
});
