import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_TIMEOUT_MS, keepConnectionsAlive } from '../../../src/services/http/keep-alive.ts';

const server = keepConnectionsAlive(createServer((_req, res) => res.end('ok')));
let url: string;

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

describe('keepConnectionsAlive', () => {
  it('announces a keep-alive timeout of 65 s, so clients stop reusing a connection long before the server closes it', async () => {
    const res = await fetch(url);
    await res.text();
    expect(res.headers.get('keep-alive')).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });

  it('still lets close() end idle keep-alive connections at once', async () => {
    const other = keepConnectionsAlive(createServer((_req, res) => res.end('ok')));
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const res = await fetch(`http://127.0.0.1:${(other.address() as AddressInfo).port}/`);
    await res.text();
    other.close();
    await once(other, 'close');
  });
});
