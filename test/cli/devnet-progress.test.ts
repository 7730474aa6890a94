import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type ChildService, startChildService } from '../../src/services/child-service.ts';
import { eventually } from '../support/eventually.ts';
import { pidAlive } from '../support/pid-alive.ts';

const BIN = fileURLToPath(new URL('../../bin/allegro.mjs', import.meta.url));

let devnet: ChildService | undefined;
afterAll(async () => {
  await devnet?.stop();
});

describe('allegro devnet', () => {
  it('says what it is doing while it starts and funds, then stops anvil with itself', async () => {
    const lines: string[] = [];
    devnet = await startChildService({
      command: process.execPath,
      args: [BIN, 'devnet', '--port', '0', '--block-time', '1'],
      ready: /^Press Ctrl-C to stop\./,
      timeoutMs: 90_000,
      onLine: (line) => lines.push(line),
    });
    const progress = lines.filter((l) => l.startsWith('… '));
    expect(progress).toEqual([
      '… starting anvil --network tempo',
      '… funding Alice, Bob, Carol with AlphaUSD and pathUSD',
      "… setting each account's fee token to pathUSD (one block)",
    ]);
    const anvilPid = Number(/anvil --network tempo \(pid (\d+)\)/.exec(lines.join('\n'))?.[1]);
    expect(pidAlive(anvilPid)).toBe(true);
    await devnet.stop();
    await eventually(() => expect(pidAlive(anvilPid)).toBe(false));
  }, 120_000);
});
