import { numberToBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { buildPayment } from '../client/build-payment.ts';
import { fromHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { RejectCode, rejectCodeName } from '../protocol/reject.ts';
import type { FastPayTx, QuorumCertificate } from '../protocol/types.ts';
import { awaitReceipts } from './await-receipts.ts';
import { certifyAtAll } from './certify-at-all.ts';
import { type ChainCommittee, startChainCommittee } from './chain-committee.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import { conservationKey } from './conservation.ts';

const PAYERS = 6;
/** The phase paying old lanes past a reset: their refusals are the chain's verdict, not an outage's. */
const BEYOND = 'beyond the reset nonce';
const INITIAL = 10_000000n;

interface Lane {
  readonly key: `0x${string}`;
  seq: bigint;
  previousQc?: QuorumCertificate;
}

/**
 * The Tempo node stopped mid-flight and restarted from its dumped state (`restarts` times), then reset to genesis,
 * under 4 chain-following sidecars that are never restarted. Survived when every payment QC'd before or during a
 * restart from state has a successful receipt after it, no valid payment is refused with anything but
 * TEMPORARY_UNAVAILABLE while the node is away (an outage is never a verdict), payments made once the sidecars follow
 * the restarted node are certified, and after the reset the sidecars follow the new chain: fresh payers' payments
 * are certified and land. What a reset cannot keep is counted, not hidden: payments
 * finalized on the old chain are absent from the new one (Tempo blocks are final, so sidecars do not send them
 * again), and their lanes' next payments are certified beyond the new chain's nonce.
 */
export const nodeRestartScenario: ChaosScenario = {
  name: 'node-restart',
  async run(scale, log) {
    const restarts = scale === 'full' ? 5 : 1;
    const perPhase = scale === 'full' ? 4 : 2;
    const suite = createNodeCryptoSuite();
    const lanes: Lane[] = Array.from({ length: 3 * PAYERS }, (_, i) => ({
      key: conservationKey(i),
      seq: 0n,
    }));
    const addresses = lanes.map((l) => fromHex(privateKeyToAddress(l.key)));
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 3_000);
    let attempted = 0;
    /** Every answer that was not a certificate (a sidecar's last, after retries), by phase, reject code and message. */
    const refusals = new Map<string, number>();
    /** Refusals of valid payments that are not TEMPORARY_UNAVAILABLE: a node outage taken for a verdict. */
    let verdictsOfOutage = 0;
    /**
     * `count` attempts from each of `payers` in turn (its next sequence, the previous QC attached); the QC'd ones. An
     * attempt without a QC leaves the lane where it is: its next attempt sends the very same tx again, which the
     * sidecars that certified it certify again.
     */
    const pay = async (net: ChainCommittee, payers: readonly Lane[], count: number, phase: string) => {
      const qcd: { tx: FastPayTx }[] = [];
      await Promise.all(
        payers.map(async (lane) => {
          for (let n = 0; n < count; n++) {
            const { tx } = buildPayment({
              suite,
              account: lane.key,
              to: addresses[(lanes.indexOf(lane) + 1) % lanes.length]!,
              amount: 1_000n,
              asset: ALPHA_USD,
              chainId: 1337n,
              lane: { nonceKey: numberToBytes(1n, { size: 32 }) },
              seq: lane.seq,
              validBefore,
            });
            attempted++;
            const { answers, qc } = await certifyAtAll(
              net.transports,
              net.sidecars.committee,
              tx,
              lane.previousQc ? [lane.previousQc] : [],
            );
            for (const a of answers) {
              if (a && 'cert' in a) continue;
              const reject = a?.reject;
              const why = `${phase}: ${reject ? `${rejectCodeName(reject.code)}: ${reject.message}` : 'no answer'}`;
              refusals.set(why, (refusals.get(why) ?? 0) + 1);
              if (phase !== BEYOND && reject && reject.code !== RejectCode.TEMPORARY_UNAVAILABLE)
                verdictsOfOutage++;
            }
            if (!qc) continue;
            lane.seq++;
            lane.previousQc = qc;
            qcd.push({ tx });
          }
        }),
      );
      return qcd;
    };
    const old = lanes.slice(0, PAYERS);
    /** They pay only while the node is down and after it is back, so no sidecar holds their balances from the last block. */
    const offPeak = lanes.slice(PAYERS, 2 * PAYERS);
    const fresh = lanes.slice(2 * PAYERS);
    const accounts = lanes.map((l, i) => ({
      name: `P${i}`,
      privateKey: fromHex(l.key),
      address: addresses[i]!,
      alphaUsd: INITIAL,
    }));
    const net = await startChainCommittee(accounts, 1_000_000000n);
    const qcd: { tx: FastPayTx }[] = [];
    let lost = 0;
    let afterRestarts = 0;
    let landedAfterReset = 0;
    let certifiedAfterReset = 0;
    let goneInReset = 0;
    let beyondNonce = 0;
    try {
      for (let round = 1; round <= restarts; round++) {
        // Just QC'd, so still on their way to a block when the node stops.
        qcd.push(...(await pay(net, old, perPhase, 'before')));
        const { followingAfterMs } = await net.restartNode('state', async () => {
          qcd.push(...(await pay(net, offPeak, 1, 'while the node is down')));
        });
        const after = await pay(net, [...old, ...offPeak], perPhase, 'after a restart');
        afterRestarts += after.length;
        qcd.push(...after);
        const receipts = await awaitReceipts(net.chain, qcd, 120_000);
        const missing = qcd.filter((p) => !receipts.get(p)?.success).length;
        lost += missing;
        log(
          `restart ${round} from state: sidecars following the node again after ${followingAfterMs} ms; ` +
            `${qcd.length - missing}/${qcd.length} QC'd payments landed, ${after.length} QC'd after it`,
        );
      }
      const reset = await net.restartNode('genesis');
      const afterReset = await pay(net, fresh, perPhase, 'after the reset');
      certifiedAfterReset = afterReset.length;
      landedAfterReset = [...(await awaitReceipts(net.chain, afterReset, 120_000)).values()].filter(
        (r) => r.success,
      ).length;
      goneInReset = qcd.length - (await awaitReceipts(net.chain, qcd, 1)).size;
      beyondNonce = (await pay(net, old, 1, BEYOND)).length;
      log(
        `reset to genesis: sidecars following the new chain after ${reset.followingAfterMs} ms; ${landedAfterReset}/${certifiedAfterReset} fresh payments QC'd and landed; ${goneInReset} earlier ` +
          `payments absent from the new chain, ${beyondNonce} QCs for their lanes' next sequence (beyond the new nonce)`,
      );
      if (refusals.size > 0) {
        log(
          `attempts without a certificate, by answer: ${[...refusals].map(([why, n]) => `${n}× ${why}`).join('; ')}`,
        );
      }
    } finally {
      await net.stop();
    }
    return {
      scenario: 'Tempo node restarted from state, and reset to genesis',
      fault: `${restarts} node stops mid-flight restarted from state, then a reset to genesis; sidecars left running`,
      ok:
        lost === 0 &&
        verdictsOfOutage === 0 &&
        afterRestarts > 0 &&
        certifiedAfterReset > 0 &&
        landedAfterReset === certifiedAfterReset,
      figures:
        `${qcd.length} payments QC'd around restarts from state (${attempted} attempts in all), ${lost} lost; after the reset ` +
        `${landedAfterReset}/${certifiedAfterReset} new payments landed, ${goneInReset} old finalized payments absent ` +
        `(not re-sent), ${beyondNonce} QCs issued beyond the reset chain's nonce; ${verdictsOfOutage} refusals of a valid ` +
        'payment other than TEMPORARY_UNAVAILABLE',
      details: {
        restarts,
        qcd: qcd.length,
        attempted,
        lost,
        afterRestarts,
        certifiedAfterReset,
        landedAfterReset,
        goneInReset,
        beyondNonce,
        verdictsOfOutage,
        refusals: Object.fromEntries(refusals),
      },
    };
  },
};
