import { describe, expect, it } from 'vitest';
import { anvilBinaryPath, startAnvil } from '../../src/chain/anvil-process.ts';
import { pidAlive } from '../support/pid-alive.ts';

async function rpc(url: string, method: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [] }),
  });
  return ((await res.json()) as { result: unknown }).result;
}

describe('startAnvil', () => {
  it('resolves the real binary from the npm package, not the npx wrapper', () => {
    expect(anvilBinaryPath()).toMatch(/@foundry-rs\/anvil-[a-z0-9]+-[a-z0-9]+\/bin\/anvil(\.exe)?$/);
  });

  it('listens on an OS-picked 127.0.0.1 port with the Tempo chain id, and stop() ends the pid', async () => {
    const anvil = await startAnvil();
    try {
      expect(anvil.port).toBeGreaterThan(0);
      expect(anvil.rpcUrl).toBe(`http://127.0.0.1:${anvil.port}`);
      expect(anvil.wsUrl).toBe(`ws://127.0.0.1:${anvil.port}`);
      expect(await rpc(anvil.rpcUrl, 'eth_chainId')).toBe('0x7a69');
    } finally {
      await anvil.stop();
    }
    expect(pidAlive(anvil.pid)).toBe(false);
  });

  it('serves a custom chain id', async () => {
    const anvil = await startAnvil({ chainId: 1337n });
    try {
      expect(await rpc(anvil.rpcUrl, 'eth_chainId')).toBe('0x539');
    } finally {
      await anvil.stop();
    }
    expect(pidAlive(anvil.pid)).toBe(false);
  });

  it('fails with PORT_IN_USE when the port is taken', async () => {
    const first = await startAnvil();
    try {
      await expect(startAnvil({ port: first.port })).rejects.toMatchObject({
        code: 'PORT_IN_USE',
        message: `port ${first.port} on 127.0.0.1 is already in use`,
      });
    } finally {
      await first.stop();
    }
    expect(pidAlive(first.pid)).toBe(false);
  });

  it('fails with BINARY_MISSING when the binary does not exist', async () => {
    await expect(startAnvil({ binary: '/nonexistent/anvil' })).rejects.toMatchObject({
      code: 'BINARY_MISSING',
    });
  });
});
