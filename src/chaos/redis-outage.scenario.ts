import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../protocol/bytes.ts';
import { RejectCode } from '../protocol/reject.ts';
import type { ChildService } from '../services/child-service.ts';
import { freePort } from '../services/free-port.ts';
import type { SidecarProcess } from '../services/sidecar/sidecar-process.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SidecarTransport, SubmitAnswer } from '../wire/sidecar-transport.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import { conflictingPair } from './conflicting-pair.ts';
import { startRedis } from './redis-child.ts';
import { startStandaloneSidecar } from './standalone-sidecar.ts';

type Phase = 'up' | 'down' | 'no-aof' | 'back';
const IN_FLIGHT = 8;
/** A log line that says why the sidecar cannot sign: its store is unreachable or not durable. */
const STORE_TROUBLE = /(could not be persisted|durable write refused).*"msg":"cannot sign now"/;

/**
 * Redis killed (kill -9) under load and restarted, first without AOF (an empty, non-durable server), then with
 * its AOF, `rounds` times, behind one sidecar. Survived when no payment sent while Redis was down or without AOF
 * got a certificate, the sidecar answered TEMPORARY_UNAVAILABLE and logged why, it certified again once Redis
 * was back with AOF (without a restart of its own), and every payer certified before an outage still gets its
 * own payment and never the rival (0 lost locks).
 */
export const redisOutageScenario: ChaosScenario = {
  name: 'redis-outage',
  async run(scale, log) {
    const rounds = scale === 'full' ? 10 : 2;
    const perPhase = scale === 'full' ? 200 : 40;
    const pairs = Array.from({ length: rounds * 4 * perPhase + 1000 }, (_, i) =>
      conflictingPair(100_000 + i),
    );
    const dir = await mkdtemp(join(tmpdir(), 'allegro-chaos-redis-outage-'));
    const port = await freePort();
    let redis: ChildService | undefined;
    let sidecar: SidecarProcess | undefined;
    let transport: SidecarTransport | undefined;
    let next = 0;
    const certifiedIn = new Map<Phase, number>();
    const unavailableIn = new Map<Phase, number>();
    const certifiedPairs: number[] = [];
    let troubleLines = 0;
    let lostLocks = 0;
    const recoveries: number[] = [];
    const bump = (m: Map<Phase, number>, p: Phase) => m.set(p, (m.get(p) ?? 0) + 1);
    /** Sends `count` fresh payments, IN_FLIGHT at a time, counting answers against `phase`. */
    const load = async (phase: Phase, count: number, until?: () => boolean) => {
      let sent = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (sent < count && !until?.()) {
            sent++;
            const i = next++;
            const answer: SubmitAnswer | undefined = await transport!
              .submit({ tx: pairs[i]!.txs[0]!.tx, parentQcs: [] }, { timeoutMs: 5_000 })
              .catch(() => undefined);
            if (answer && 'cert' in answer) {
              bump(certifiedIn, phase);
              certifiedPairs.push(i);
            } else if (answer?.reject.code === RejectCode.TEMPORARY_UNAVAILABLE) bump(unavailableIn, phase);
          }
        }),
      );
    };
    try {
      redis = await startRedis(dir, port, true);
      sidecar = await startStandaloneSidecar(
        dir,
        `redis://127.0.0.1:${port}`,
        pairs.map((p) => p.sender),
        0,
        (line) => {
          if (STORE_TROUBLE.test(line)) troubleLines++;
        },
      );
      transport = grpcTransport(sidecar.url);
      for (let round = 1; round <= rounds; round++) {
        await load('up', perPhase);
        const burst = load('up', perPhase);
        await redis.kill();
        await burst;
        await load('down', perPhase);
        redis = await startRedis(dir, port, false);
        await load('no-aof', perPhase);
        await redis.kill();
        redis = await startRedis(dir, port, true);
        const back = Date.now();
        const before = certifiedIn.get('back') ?? 0;
        const deadline = back + 60_000;
        await load(
          'back',
          Number.MAX_SAFE_INTEGER,
          () => (certifiedIn.get('back') ?? 0) > before || Date.now() > deadline,
        );
        recoveries.push(Date.now() - back);
        for (const i of certifiedPairs) {
          const [own, rival] = pairs[i]!.txs;
          const again = await transport
            .submit({ tx: own!.tx, parentQcs: [] }, { timeoutMs: 5_000 })
            .catch(() => undefined);
          const other = await transport
            .submit({ tx: rival!.tx, parentQcs: [] }, { timeoutMs: 5_000 })
            .catch(() => undefined);
          const keptOwn = again && 'cert' in again && toHex(again.cert.txHash) === toHex(own!.txHash);
          if (!keptOwn || (other && 'cert' in other)) lostLocks++;
        }
        log(
          `round ${round}/${rounds}: certified up ${certifiedIn.get('up') ?? 0}, down ${certifiedIn.get('down') ?? 0}, ` +
            `without AOF ${certifiedIn.get('no-aof') ?? 0}; recovered in ${recoveries.at(-1)} ms; ${lostLocks} lost locks`,
        );
      }
    } finally {
      transport?.close();
      await sidecar?.stop();
      await redis?.stop();
      await rm(dir, { recursive: true, force: true });
    }
    const signedWhileDown = (certifiedIn.get('down') ?? 0) + (certifiedIn.get('no-aof') ?? 0);
    const refused = (unavailableIn.get('down') ?? 0) + (unavailableIn.get('no-aof') ?? 0);
    const recovered = recoveries.length === rounds && recoveries.every((ms) => ms < 60_000);
    const ok =
      signedWhileDown === 0 &&
      (unavailableIn.get('no-aof') ?? 0) > 0 &&
      troubleLines > 0 &&
      recovered &&
      lostLocks === 0;
    return {
      scenario: 'Redis killed and restarted (without AOF, then with)',
      fault: `${rounds} kill -9 of Redis mid-load, restarted without AOF, then with AOF`,
      ok,
      figures:
        `${signedWhileDown} certificates while Redis was down or without AOF (${refused} TEMPORARY_UNAVAILABLE, ` +
        `${troubleLines} log lines saying why), recovered ${recoveries.length}/${rounds} times ` +
        `(slowest ${Math.max(...recoveries, 0)} ms), ${lostLocks} lost locks of ${certifiedPairs.length} certified payers`,
      details: {
        rounds,
        signedWhileDown,
        refused,
        troubleLines,
        recoveries,
        lostLocks,
        certified: Object.fromEntries(certifiedIn),
        unavailable: Object.fromEntries(unavailableIn),
      },
    };
  },
};
