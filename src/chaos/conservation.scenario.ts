import { certifyAtAll } from './certify-at-all.ts';
import { startChainCommittee } from './chain-committee.ts';
import { chaosPayers } from './chaos-payers.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import { runConservation } from './conservation.ts';

const ACCOUNTS = 50;
const INITIAL = 10_000000n;

/**
 * Conservation on a real Tempo devnet through 4 chain-following sidecars: payments among 50 accounts (plain,
 * chained on QC'd incoming payments, overspend attempts mixed in; 10,000 full, 300 CI). Survived when no
 * overspend got a QC, every QC'd payment landed, and the token total and every balance match what landed.
 */
export const conservationScenario: ChaosScenario = {
  name: 'conservation',
  async run(scale, log) {
    const attempts = scale === 'full' ? 10_000 : 300;
    const { accounts } = chaosPayers(ACCOUNTS, INITIAL);
    log(`starting a devnet with ${ACCOUNTS} funded accounts and 4 sidecars`);
    const net = await startChainCommittee(accounts, 1_000_000000n);
    try {
      const report = await runConservation(
        {
          accounts: ACCOUNTS,
          attempts,
          initial: INITIAL,
          maxPlain: 3_000000n,
          validBefore: BigInt(Math.floor(Date.now() / 1000) + (scale === 'full' ? 3_300 : 900)),
          seed: Date.now() >>> 0,
          paceMs: 20,
          chain: net.chain,
          certify: (tx, parentQcs, parentTxs) =>
            certifyAtAll(net.transports, net.sidecars.committee, tx, parentQcs, parentTxs),
        },
        scale === 'full' ? 600_000 : 120_000,
      );
      for (const v of report.violations.slice(0, 10)) log(`violation: ${v}`);
      return {
        scenario: 'conservation on a devnet',
        fault: `${attempts} payments among ${ACCOUNTS} accounts, overspends and chained spends mixed in`,
        ok: report.violations.length === 0,
        figures: report.summary,
        details: {
          payments: report.payments.length,
          chained: report.chained,
          overspendAttempts: report.overspendAttempts,
          qcs: report.qcs,
          chainedQcs: report.chainedQcs,
          onCredit: report.onCredit,
          violations: report.violations.length,
        },
      };
    } finally {
      await net.stop();
    }
  },
};
