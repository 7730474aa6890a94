import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import { BulletinBoard, type BulletinBoardQuery } from '../../src/services/shared/bulletin-board.ts';
import { boardCert, txHashOf } from '../support/board-certs.ts';
import { ALICE, BOB, CAROL, DAVE, EDGAR } from '../support/demo-keys.ts';

/** Every certificate matching `query`, paged with the cursor until an empty cursor comes back. */
function pageAll(board: BulletinBoard, query: Omit<BulletinBoardQuery, 'cursor'>): ValidatorCertificate[] {
  const out: ValidatorCertificate[] = [];
  let cursor = '';
  do {
    const page = board.query({ ...query, cursor });
    if (!page.ok) throw new Error(page.message);
    out.push(...page.certs);
    cursor = page.nextCursor;
  } while (cursor !== '');
  return out;
}

function pageOf(board: BulletinBoard, query: BulletinBoardQuery) {
  const page = board.query(query);
  if (!page.ok) throw new Error(page.message);
  return page;
}

/** 24 certificates of one millisecond: payments 0..11, each signed by Dave and Edgar. */
const sameMillis = Array.from({ length: 12 }, (_, n) => [boardCert(DAVE, n), boardCert(EDGAR, n)]).flat();

describe('BulletinBoard ordering and cursor paging (fixes reference §6.6/§14)', () => {
  it('pages in insertion order without skipping or repeating certificates of one millisecond', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: sameMillis.length - 1 }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 7 }), { minLength: 1, maxLength: 10 }),
        (picks, pageSizes) => {
          const board = new BulletinBoard({ maxResponse: 5 });
          const expected: ValidatorCertificate[] = [];
          for (const i of picks) if (board.add(sameMillis[i]!)) expected.push(sameMillis[i]!);
          const got: ValidatorCertificate[] = [];
          let cursor = '';
          for (let p = 0; ; p++) {
            const page = pageOf(board, { cursor, limit: pageSizes[p % pageSizes.length]! });
            got.push(...page.certs);
            if (page.nextCursor === '') break;
            cursor = page.nextCursor;
          }
          expect(got).toEqual(expected);
          expect(new Set(got).size).toBe(got.length);
        },
      ),
    );
  });

  it('lets a tailing reader resume with its last cursor while certificates keep arriving', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 4 })), { maxLength: 30 }),
        (steps) => {
          const board = new BulletinBoard();
          let next = 0;
          let cursor = '';
          const seen: ValidatorCertificate[] = [];
          const inserted: ValidatorCertificate[] = [];
          const read = (limit: number) => {
            const page = pageOf(board, { cursor, limit });
            seen.push(...page.certs);
            if (page.nextCursor !== '') cursor = page.nextCursor;
          };
          for (const [adds, limit] of steps) {
            for (let i = 0; i < adds; i++) {
              const cert = boardCert(DAVE, next++);
              board.add(cert);
              inserted.push(cert);
            }
            read(limit);
          }
          for (let before = -1; before !== seen.length; ) {
            before = seen.length;
            read(3);
          }
          expect(seen).toEqual(inserted);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('keeps one certificate per (tx hash, signer id) and tells whether it inserted', () => {
    const board = new BulletinBoard();
    expect(board.add(boardCert(DAVE, 1))).toBe(true);
    expect(board.add(boardCert(DAVE, 1, { millis: 5n }))).toBe(false);
    expect(board.add(boardCert(EDGAR, 1))).toBe(true);
    expect(board.has(boardCert(EDGAR, 1))).toBe(true);
    expect(board.has(boardCert(EDGAR, 2))).toBe(false);
    expect(board.size).toBe(2);
  });

  it('never stores a certificate without a 32-byte signer id', () => {
    const board = new BulletinBoard();
    const cert = boardCert(DAVE, 1);
    expect(board.add({ ...cert, signer: undefined })).toBe(false);
    expect(board.add({ ...cert, signer: { ...cert.signer!, id: new Uint8Array(31) } })).toBe(false);
    expect(board.size).toBe(0);
  });

  it('returns an empty cursor for an empty page and the resume point otherwise', () => {
    const board = new BulletinBoard();
    expect(pageOf(board, { limit: 10 })).toEqual({ ok: true, certs: [], nextCursor: '' });
    board.add(boardCert(DAVE, 1));
    const first = pageOf(board, { limit: 10 });
    expect(first.certs).toHaveLength(1);
    expect(first.nextCursor).not.toBe('');
    expect(pageOf(board, { cursor: first.nextCursor, limit: 10 })).toEqual({
      ok: true,
      certs: [],
      nextCursor: '',
    });
  });
});

describe('BulletinBoard filters (reference §6.6)', () => {
  const board = new BulletinBoard();
  const aliceToBob = boardCert(DAVE, 1, { millis: 100n });
  const bobToCarol = boardCert(DAVE, 2, { millis: 200n, sender: BOB, recipient: CAROL });
  const carolToAlice = boardCert(EDGAR, 3, { millis: 200n, sender: CAROL, recipient: ALICE });
  const aliceToBobByEdgar = boardCert(EDGAR, 1, { millis: 300n });
  for (const cert of [aliceToBob, bobToCarol, carolToAlice, aliceToBobByEdgar]) board.add(cert);

  it('keeps exactly the certificates of a tx hash, in insertion order', () => {
    expect(pageAll(board, { txHash: txHashOf(1), limit: 0 })).toEqual([aliceToBob, aliceToBobByEdgar]);
    expect(pageAll(board, { txHash: txHashOf(9), limit: 0 })).toEqual([]);
    expect(pageAll(board, { txHash: txHashOf(1).subarray(1), limit: 0 })).toEqual([]);
  });

  it('keeps the certificates whose sender or recipient is the address', () => {
    expect(pageAll(board, { address: BOB, limit: 0 })).toEqual([aliceToBob, bobToCarol, aliceToBobByEdgar]);
    expect(pageAll(board, { address: CAROL, limit: 1 })).toEqual([bobToCarol, carolToAlice]);
  });

  it('keeps certificates created at or after since (inclusive), combined with a filter and paging', () => {
    expect(pageAll(board, { sinceUnixMillis: 200n, limit: 1 })).toEqual([
      bobToCarol,
      carolToAlice,
      aliceToBobByEdgar,
    ]);
    expect(pageAll(board, { address: ALICE, sinceUnixMillis: 200n, limit: 1 })).toEqual([
      carolToAlice,
      aliceToBobByEdgar,
    ]);
    expect(pageAll(board, { sinceUnixMillis: 301n, limit: 0 })).toEqual([]);
  });
});

describe('BulletinBoard limits', () => {
  it('caps every page at maxResponse; limit 0 means the cap', () => {
    const board = new BulletinBoard({ maxResponse: 3 });
    for (let n = 0; n < 10; n++) board.add(boardCert(DAVE, n));
    expect(pageOf(board, { limit: 0 }).certs).toHaveLength(3);
    expect(pageOf(board, { limit: 100 }).certs).toHaveLength(3);
    expect(pageOf(board, { limit: 2 }).certs).toHaveLength(2);
  });

  it('holds at most maxTotalCerts, evicting the oldest inserted so new certificates still appear', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.integer({ min: 0, max: sameMillis.length - 1 }), { maxLength: 80 }),
        (cap, picks) => {
          const board = new BulletinBoard({ maxTotalCerts: cap });
          const held: ValidatorCertificate[] = [];
          for (const i of picks) {
            const cert = sameMillis[i]!;
            if (!board.add(cert)) {
              expect(held).toContain(cert);
              continue;
            }
            held.push(cert);
            if (held.length > cap) held.shift();
            expect(board.size).toBe(held.length);
          }
          expect(pageAll(board, { limit: 3 })).toEqual(held);
          for (let n = 0; n < 12; n++) {
            const byTx = held.filter((c) => c.effects?.nonce?.seq === BigInt(n));
            expect(pageAll(board, { txHash: txHashOf(n), limit: 0 })).toEqual(byTx);
          }
          expect(pageAll(board, { address: ALICE, limit: 0 })).toEqual(held);
        },
      ),
    );
  });

  it('stays exact over thousands of evictions', () => {
    const board = new BulletinBoard({ maxTotalCerts: 1000, maxResponse: 1000 });
    const template = boardCert(DAVE, 0);
    const certs = Array.from({ length: 5000 }, (_, n) => ({ ...template, txHash: txHashOf(n) }));
    for (const cert of certs) board.add(cert);
    expect(board.size).toBe(1000);
    expect(pageAll(board, { limit: 0 })).toEqual(certs.slice(4000));
    expect(pageAll(board, { txHash: txHashOf(3999), limit: 0 })).toEqual([]);
    expect(pageAll(board, { txHash: txHashOf(4000), limit: 0 })).toEqual([certs[4000]]);
  });

  it('keeps a cursor usable after the certificates before it were evicted', () => {
    const board = new BulletinBoard({ maxTotalCerts: 2 });
    board.add(boardCert(DAVE, 0));
    const { nextCursor } = pageOf(board, { limit: 1 });
    for (let n = 1; n <= 4; n++) board.add(boardCert(DAVE, n));
    expect(pageAll(board, { limit: 0 }).map((c) => c.effects?.nonce?.seq)).toEqual([3n, 4n]);
    expect(pageOf(board, { cursor: nextCursor, limit: 0 }).certs.map((c) => c.effects?.nonce?.seq)).toEqual([
      3n,
      4n,
    ]);
  });

  it('refuses non-positive limits at construction', () => {
    expect(() => new BulletinBoard({ maxTotalCerts: 0 })).toThrow(RangeError);
    expect(() => new BulletinBoard({ maxResponse: 1.5 })).toThrow(RangeError);
  });
});

describe('BulletinBoard cursors', () => {
  const board = new BulletinBoard();
  board.add(boardCert(DAVE, 1));
  const cursor = pageOf(board, { limit: 1 }).nextCursor;

  it('refuses a malformed cursor with a clear message', () => {
    for (const bad of ['x', `${cursor}x`, `${cursor}.1`, '123', `g${cursor.slice(1)}`]) {
      const page = board.query({ cursor: bad, limit: 1 });
      expect(page).toEqual({ ok: false, message: expect.stringMatching(/malformed bulletin board cursor/) });
    }
  });

  it('refuses a cursor of another board instance (a restarted validator) instead of misreading it', () => {
    const restarted = new BulletinBoard();
    restarted.add(boardCert(DAVE, 1));
    restarted.add(boardCert(DAVE, 2));
    expect(restarted.query({ cursor, limit: 1 })).toEqual({
      ok: false,
      message: expect.stringMatching(/earlier run/),
    });
  });

  it('refuses a cursor ahead of the board', () => {
    const ahead = cursor.replace(/\.\d+$/, '.99');
    expect(board.query({ cursor: ahead, limit: 1 })).toEqual({
      ok: false,
      message: expect.stringMatching(/ahead of this board/),
    });
  });
});
