import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../protocol/bytes.ts';
import { freePort } from '../services/free-port.ts';
import type { SidecarProcess } from '../services/sidecar/sidecar-process.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SubmitAnswer } from '../wire/sidecar-transport.ts';
import type { ChaosResult, ChaosScenario } from './chaos-scenario.ts';
import { conflictingPair } from './conflicting-pair.ts';
import { startRedis } from './redis-child.ts';
import { startStandaloneSidecar } from './standalone-sidecar.ts';

const PAYERS_PER_ROUND = 16;
/**
 * kill -9 of a sidecar under load, `restarts` times, with an LMDB or a Redis store: each round sends two
 * conflicting payments for each of 16 fresh payers at once, kills the sidecar mid-burst, restarts it on the same
 * store and port, and asks again for both payments of every payer. Survived when every restart succeeds, no payer
 * ever holds certificates for two different payments (0 equivocations) and a payment certified before the crash
 * is still the one certified after it, its rival refused (0 lost locks).
 */
export function killRestartScenario(kind: 'lmdb' | 'redis'): ChaosScenario {
  return {
    name: `restart-${kind}`,
    async run(scale, log) {
      const restarts = scale === 'full' ? 100 : 10;
      const pairs = Array.from({ length: restarts * PAYERS_PER_ROUND }, (_, i) => conflictingPair(i));
      const dir = await mkdtemp(join(tmpdir(), `allegro-chaos-${kind}-`));
      const redisPort = kind === 'redis' ? await freePort() : 0;
      const redis = kind === 'redis' ? await startRedis(dir, redisPort, true) : undefined;
      const storeSpec = redis ? `redis://127.0.0.1:${redisPort}` : `lmdb:${join(dir, 'store')}`;
      const certified = new Map<string, Set<string>>();
      let equivocations = 0;
      let lostLocks = 0;
      let failedRestarts = 0;
      let certsBeforeKill = 0;
      const record = (sender: string, answer: SubmitAnswer, txHash: string) => {
        if (!('cert' in answer)) return;
        const set = certified.get(sender) ?? new Set<string>();
        set.add(txHash);
        certified.set(sender, set);
      };
      let sidecar: SidecarProcess | undefined;
      let port = 0;
      try {
        const senders = pairs.map((p) => p.sender);
        for (let round = 0; round < restarts; round++) {
          if (!sidecar) sidecar = await startStandaloneSidecar(dir, storeSpec, senders, port);
          port = sidecar.port;
          const transport = grpcTransport(sidecar.url);
          const batch = pairs.slice(round * PAYERS_PER_ROUND, (round + 1) * PAYERS_PER_ROUND);
          let certOut: () => void = () => undefined;
          const firstCert = new Promise<void>((resolve) => {
            certOut = resolve;
          });
          const calls = batch.flatMap((p) =>
            p.txs.map((b) =>
              transport
                .submit({ tx: b.tx, parentQcs: [] }, { timeoutMs: 5_000 })
                .then((a) => {
                  if ('cert' in a) {
                    certsBeforeKill++;
                    certOut();
                  }
                  record(toHex(p.sender), a, toHex(b.txHash));
                })
                .catch(() => undefined),
            ),
          );
          // Kill once this round's first certificate is out (the lock it proves must survive), a little later
          // each round so the kill lands at different points of the burst.
          await Promise.race([Promise.all(calls), firstCert]);
          await new Promise((r) => setTimeout(r, round % 5));
          await sidecar.kill();
          await Promise.all(calls);
          transport.close();
          const before = new Map([...certified].map(([k, v]) => [k, new Set(v)]));
          try {
            sidecar = await startStandaloneSidecar(dir, storeSpec, senders, port);
          } catch (error) {
            failedRestarts++;
            log(`restart ${round + 1} failed: ${(error as Error).message.split('\n')[0]}`);
            sidecar = undefined;
            port = 0;
            continue;
          }
          const again = grpcTransport(sidecar.url);
          for (const p of batch) {
            const sender = toHex(p.sender);
            for (const b of p.txs) {
              const answer = await again
                .submit({ tx: b.tx, parentQcs: [] }, { timeoutMs: 5_000 })
                .catch(() => undefined);
              if (answer) record(sender, answer, toHex(b.txHash));
            }
            const held = before.get(sender);
            const now = certified.get(sender);
            if (now && now.size > 1) equivocations++;
            if (held && held.size === 1 && now && ![...held].every((h) => now.has(h))) lostLocks++;
          }
          again.close();
          if ((round + 1) % Math.max(1, restarts / 10) === 0)
            log(
              `${round + 1}/${restarts} kill -9 restarts, ${equivocations} equivocations, ${lostLocks} lost locks`,
            );
        }
      } finally {
        await sidecar?.stop();
        await redis?.stop();
        await rm(dir, { recursive: true, force: true });
      }
      const ok = failedRestarts === 0 && equivocations === 0 && lostLocks === 0;
      return {
        scenario: `kill -9 restarts (${kind === 'lmdb' ? 'LMDB' : 'Redis AOF'})`,
        fault: `${restarts} kill -9 of a sidecar mid-burst of conflicting payments`,
        ok,
        figures: `${restarts - failedRestarts}/${restarts} restarts succeeded, ${equivocations} equivocations, ${lostLocks} lost locks, ${certified.size} payers certified (${certsBeforeKill} certificates answered before a kill)`,
        details: { restarts, failedRestarts, equivocations, lostLocks, payersCertified: certified.size },
      } satisfies ChaosResult;
    },
  };
}
