import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import {
  type AggregatorProcess,
  startAggregatorProcess,
} from '../../src/services/aggregator/aggregator-process.ts';
import { DAVE } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';

let anvil: AnvilProcess;
let pair: SidecarPair;
let aggregator: AggregatorProcess;
let healthz: string;
const pids: number[] = [];

beforeAll(async () => {
  anvil = await startAnvil({ blockTime: 1, chainId: 1337n });
  pids.push(anvil.pid);
  pair = await SidecarPair.start(
    ['--rpc-url', anvil.rpcUrl, '--ws-url', anvil.wsUrl, '--http-listen', '127.0.0.1:0'],
    [DAVE],
  );
  pids.push(pair.processes.get('Dave')!.pid);
  const port = /"httpPort":(\d+)/.exec(pair.processes.get('Dave')!.tail())?.[1];
  healthz = `http://127.0.0.1:${port}/healthz`;
  aggregator = await startAggregatorProcess([
    ...['--committee', join(pair.dir, 'committee.json'), '--store', 'memory'],
    ...['--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
    ...['--rpc-url', anvil.rpcUrl, '--ws-url', anvil.wsUrl],
  ]);
  pids.push(aggregator.pid);
}, 60_000);

afterAll(async () => {
  await aggregator?.stop();
  await pair?.stop();
  await anvil?.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
});

async function health(url = healthz): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('/healthz of a chain-following sidecar and aggregator', () => {
  it('is unhealthy (503, saying why) while their Tempo node is unreachable, and healthy again once the node is back', async () => {
    const urls = [healthz, `${aggregator.httpUrl}/healthz`];
    for (const url of urls) {
      await eventually(async () => {
        const up = await health(url);
        expect(up.status).toBe(200);
        expect(up.body.ok).toBe(true);
        expect(typeof up.body.headAgeMs).toBe('number');
      }, 30_000);
    }

    const { port } = anvil;
    await anvil.stop();
    for (const url of urls) {
      await eventually(async () => {
        const down = await health(url);
        expect(down.status).toBe(503);
        expect(down.body.ok).toBe(false);
        expect(String(down.body.waitingFor)).toMatch(/the chain node/);
      }, 30_000);
    }

    anvil = await startAnvil({ port, blockTime: 1, chainId: 1337n });
    pids.push(anvil.pid);
    for (const url of urls) {
      await eventually(async () => {
        const back = await health(url);
        expect(back.status).toBe(200);
        expect(back.body.ok).toBe(true);
        expect(back.body.headAgeMs as number).toBeLessThan(5_000);
      }, 30_000);
    }
  });
});
