import { afterEach, describe, expect, it } from 'vitest';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { BoardMirror } from '../../src/services/aggregator/board-mirror.ts';
import type { SidecarLink } from '../../src/services/shared/sidecar-links.ts';
import { createLogger } from '../../src/util/logger.ts';
import { eventually } from '../support/eventually.ts';

/** A link whose board answers with `answer` (called with the call's abort signal); counts its calls. */
function link(
  name: string,
  answer: (signal: AbortSignal) => Promise<{ certs: never[]; nextCursor: string }>,
) {
  const counted = { calls: 0 };
  const value = {
    member: { name, id: repeatByte(name.charCodeAt(0), 32), publicKey: repeatByte(1, 32) },
    url: `${name}:1`,
    client: {
      getBulletinBoard: (_request: unknown, options: { signal: AbortSignal }) => {
        counted.calls++;
        return answer(options.signal);
      },
    },
  } as unknown as SidecarLink;
  return { link: value, counted };
}

const mirrors: BoardMirror[] = [];
afterEach(async () => {
  for (const mirror of mirrors.splice(0)) await mirror.stop();
});

describe('BoardMirror', () => {
  it('keeps reading a responsive sidecar while another one never answers (each sidecar has its own loop)', async () => {
    const silent = link(
      'silent',
      (signal) => new Promise((_, reject) => signal.addEventListener('abort', reject)),
    );
    const live = link('live', async () => ({ certs: [], nextCursor: '' }));
    const mirror = new BoardMirror({
      ingest: async () => undefined,
      links: [silent.link, live.link],
      intervalMs: 5,
      pageSize: 10,
      timeoutMs: 60_000,
      logger: createLogger('board-mirror-test', 'silent'),
    });
    mirrors.push(mirror);
    mirror.start();
    await eventually(() => expect(live.counted.calls).toBeGreaterThanOrEqual(5));
    expect(silent.counted.calls).toBe(1);
  });
});
