import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActor, fromPromise, toPromise } from 'xstate';
import { createWebSocketInspector } from '../../src/actors/inspector.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { createChainedDemoMachine, type DemoPayment } from '../../src/services/demo/chained-demo.machine.ts';
import type { InspectedActor } from '../../src/services/inspect/inspection-log.ts';
import { eventually } from '../support/eventually.ts';

const BIN = fileURLToPath(new URL('../../bin/allegro.mjs', import.meta.url));

let child: ChildProcess;
let output = '';
let wsUrl: string;
let pageUrl: string;

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'inspect', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [ws, page] = await eventually(() => {
    const ws = /receiving on (ws:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    const page = /snapshots and events: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output)?.[1];
    if (!ws || !page) throw new Error(`not ready: ${output}`);
    return [ws, page];
  }, 30_000);
  wsUrl = ws!;
  pageUrl = page!;
}, 40_000);

afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
});

/** A demo payment whose signed transaction bytes must never reach the inspector. */
const SIGNED = Uint8Array.of(0x76, ...new Array<number>(99).fill(0xab));
const payment = (n: number): DemoPayment => ({
  txHash: `0x${n.toString(16).padStart(64, '0')}`,
  qc: {
    txHash: new Uint8Array(32),
    effectsHash: new Uint8Array(32),
    certs: [],
    threshold: 2,
    qcHash: new Uint8Array(32),
  },
  tx: { tempoTx: SIGNED, parentQcHash: new Uint8Array(), clientRequestId: '', format: 2 },
});

describe('allegro inspect', () => {
  it('receives a demo actor over ws on 127.0.0.1 and lists it with its snapshot and events on its page, transactions redacted', async () => {
    expect(wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:/);
    const inspector = createWebSocketInspector({ url: wsUrl });
    let paid = 0;
    const machine = createChainedDemoMachine({
      freshBlock: fromPromise<void>(async () => undefined),
      pay: fromPromise(async () => payment(++paid)),
      settled: fromPromise<void, { readonly txHashes: readonly string[] }>(async () => undefined),
      balances: fromPromise(async () => ({ atBlock: 1n, byName: {} })),
      escapes: fromPromise<void>(async () => undefined),
    });
    const actor = createActor(machine, {
      id: 'chained demo',
      input: { onChain: false },
      inspect: inspector.inspect,
    });
    actor.start();
    await toPromise(actor);
    await inspector.stop();

    const demo = await eventually(async () => {
      const actors = (await (await fetch(`${pageUrl}actors`)).json()) as InspectedActor[];
      const found = actors.find((a) => (a.snapshot as { value?: unknown } | undefined)?.value === 'done');
      if (!found) throw new Error(`no finished demo actor among ${actors.length}`);
      return found;
    });
    expect(demo.events.map((e) => e.type)).toContain('xstate.init');
    expect(demo.events.filter((e) => e.type.startsWith('xstate.done.actor.'))).toHaveLength(2);
    const shown = JSON.stringify(demo);
    expect(shown).toContain('[redacted]');
    expect(shown).not.toContain(toHex(SIGNED).slice(2, 40));

    const page = await fetch(pageUrl);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain("new EventSource('/stream')");
    expect(html).not.toMatch(/(src|href)="?https?:/);
  }, 30_000);

  it('stops on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
    expect(output).toMatch(/SIGTERM: stopping/);
  }, 20_000);
});
