import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createActor, fromCallback } from 'xstate';
import { createWebSocketInspector } from '../../src/actors/inspector.ts';
import { PaymentSystem } from '../../src/actors/payment-system.ts';
import { sanitizeForInspection } from '../../src/actors/sanitize-for-inspection.ts';
import { freePort } from '../../src/services/free-port.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { eventually } from '../support/eventually.ts';

const PRIVATE_KEY = `0x${'11'.repeat(32)}`;
const SIGNED_TX = new Uint8Array(120).fill(0x76);

/** A WebSocket server on 127.0.0.1 that keeps every message it receives, parsed. */
async function receiver(port = 0) {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise((resolve) => server.once('listening', resolve));
  const messages: Record<string, unknown>[] = [];
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  });
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('Stately inspector over a WebSocket', () => {
  it('delivers every payment machine snapshot to a local WebSocket server', async () => {
    const server = await receiver();
    cleanups.push(server.close);
    const inspector = createWebSocketInspector({ url: server.url });
    const system = await PaymentSystem.open({ store: new MemoryStore(), inspect: inspector.inspect });
    const txHash = `0x${'ab'.repeat(32)}`;
    await system.track({
      txHash,
      sender: '0x01',
      recipient: '0x02',
      asset: '0x03',
      amount: '10',
      threshold: 1,
      faultTolerance: 0,
      blockAtSubmit: '7',
      submittedAt: 1,
    });
    await system.send(txHash, { type: 'QC_FORMED', at: 2, qcHash: '0xqc', blockHeight: '7' });
    await system.send(txHash, { type: 'INCLUDED', at: 3, blockNumber: '8', blockHash: '0xbb' });
    await system.close();
    await inspector.stop();

    const snapshots = server.messages.filter((m) => m.type === '@xstate.snapshot');
    const values = snapshots.map((m) => (m.snapshot as { value: string }).value);
    expect(values.filter((v, i) => v !== values[i - 1])).toEqual(['submitted', 'qcFormed', 'included']);
    expect((snapshots.at(-1)!.snapshot as { context: { inclusion: unknown } }).context.inclusion).toEqual({
      blockNumber: '8',
      blockHash: '0xbb',
    });
    const actor = server.messages.find((m) => m.type === '@xstate.actor')!;
    expect(actor.name).toBe(`payment ${txHash.slice(0, 10)}`);
    expect(actor.definition).toContain('"id":"payment"');
    expect(
      server.messages
        .filter((m) => m.type === '@xstate.event')
        .map((m) => (m.event as { type: string }).type),
    ).toEqual(expect.arrayContaining(['QC_FORMED', 'INCLUDED']));
  });

  it('never sends a private key or signed transaction bytes, in inputs, events or snapshots', async () => {
    const server = await receiver();
    cleanups.push(server.close);
    const inspector = createWebSocketInspector({ url: server.url });
    const logic = fromCallback<
      { type: 'SUBMIT'; request: { tx: { tempoTx: Uint8Array; amount: bigint } } },
      object
    >(() => () => undefined);
    const actor = createActor(logic, {
      input: { account: PRIVATE_KEY, seed: new Uint8Array(32).fill(0x41) },
      inspect: inspector.inspect,
    }).start();
    actor.send({ type: 'SUBMIT', request: { tx: { tempoTx: SIGNED_TX, amount: 10n } } });
    actor.stop();
    await eventually(() => expect(server.messages.some((m) => m.type === '@xstate.event')).toBe(true));
    await inspector.stop();

    const text = JSON.stringify(server.messages);
    expect(text).not.toContain('11'.repeat(32));
    expect(text).not.toContain('41'.repeat(32));
    expect(text).not.toContain('76'.repeat(32));
    expect(text).toContain('"tempoTx":"[redacted]"');
    expect(text).toContain('"amount":"10"');
  });

  it('stops reconnecting once stopped, even while the server was unreachable', async () => {
    const port = await freePort();
    const inspector = createWebSocketInspector({ url: `ws://127.0.0.1:${port}` });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await inspector.stop();
    const server = await receiver(port);
    cleanups.push(server.close);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(server.connections()).toBe(0);
  });
});

describe('sanitizeForInspection', () => {
  it('redacts key material by field name, shows short bytes as hex, summarises long ones and cuts cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(
      sanitizeForInspection({
        privateKey: PRIVATE_KEY,
        nested: { seed: 'x', signedTx: '0x76', mnemonic: 'a b c' },
        txHash: new Uint8Array([1, 2]),
        blob: SIGNED_TX,
        amount: 5n,
        reply: () => undefined,
        channel: new AbortController(),
        at: new Date(0),
        cyclic,
        skipped: undefined,
      }),
    ).toEqual({
      privateKey: '[redacted]',
      nested: { seed: '[redacted]', signedTx: '[redacted]', mnemonic: '[redacted]' },
      txHash: '0x0102',
      blob: '[120 bytes]',
      amount: '5',
      reply: '[function]',
      channel: '[AbortController]',
      at: '1970-01-01T00:00:00.000Z',
      cyclic: { name: 'loop', self: '[circular]' },
    });
  });
});
