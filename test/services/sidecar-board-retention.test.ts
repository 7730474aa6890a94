import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { BulletinBoard } from '../../src/services/shared/bulletin-board.ts';
import { boardCert } from '../support/board-certs.ts';
import { BOB, DAVE } from '../support/demo-keys.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('bulletin board memory', () => {
  it('keeps no evicted certificate alive, even in the index of a sender that always has one on the board', async () => {
    const board = new BulletinBoard({ maxTotalCerts: 8 });
    const senders = Array.from({ length: 4 }, (_, i) => repeatByte(0xa0 + i, 20));
    const evicted: WeakRef<object>[] = [];
    for (let n = 0; n < 3000; n++) {
      const cert = boardCert(DAVE, n, { sender: senders[n % senders.length]!, recipient: BOB });
      board.add(cert);
      if (n < 2000) evicted.push(new WeakRef(cert));
    }
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(board.size).toBe(8);
    expect(evicted.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });

  it('hex keys are flat strings: the same text as before, one string per key', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    expect(toHex(bytes)).toBe(`0x${Buffer.from(bytes).toString('hex')}`);
    expect(toHex(new Uint8Array())).toBe('0x');
  });
});
