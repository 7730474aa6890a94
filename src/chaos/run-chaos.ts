import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChaosFile } from '../bench/readme-sections.ts';
import { projectPath } from '../services/project-root.ts';
import { aggregatorPartitionScenario } from './aggregator-partition.scenario.ts';
import { byzantineScenario } from './byzantine.scenario.ts';
import type { ChaosResult, ChaosScenario } from './chaos-scenario.ts';
import { conservationScenario } from './conservation.scenario.ts';
import { fuzzSubmitScenario } from './fuzz-submit.scenario.ts';
import { killRestartScenario } from './kill-restart.scenario.ts';
import { mergeChaosFile } from './merge-chaos-file.ts';
import { nodeRestartScenario } from './node-restart.scenario.ts';
import { partitionScenario } from './partition.scenario.ts';
import { peerPartitionScenario } from './peer-partition.scenario.ts';
import { redisOutageScenario } from './redis-outage.scenario.ts';

const SCENARIOS: readonly ChaosScenario[] = [
  killRestartScenario('lmdb'),
  killRestartScenario('redis'),
  fuzzSubmitScenario,
  redisOutageScenario,
  byzantineScenario,
  nodeRestartScenario,
  partitionScenario,
  peerPartitionScenario,
  aggregatorPartitionScenario,
  conservationScenario,
];

/**
 * `npm run chaos [-- --ci] [scenario…]`: runs the fault-injection scenarios (all, or those named), each printing
 * its figures, then a summary; writes bench-results/chaos.json (the README's "Faults survived" table; scenarios
 * named replace only their own rows, see mergeChaosFile). Exits 1 when any scenario did not survive. `--ci` runs
 * the smaller subset.
 */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ci: { type: 'boolean' } },
    allowPositionals: true,
  });
  const scale = values.ci ? 'ci' : 'full';
  const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p));
  if (unknown.length > 0) {
    console.error(
      `unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    return 2;
  }
  const chosen = positionals.length > 0 ? SCENARIOS.filter((s) => positionals.includes(s.name)) : SCENARIOS;
  const results: ChaosResult[] = [];
  for (const scenario of chosen) {
    console.log(`… ${scenario.name} (${scale})`);
    const started = Date.now();
    try {
      results.push(await scenario.run(scale, (line) => console.log(`  ${line}`)));
    } catch (error) {
      results.push({
        scenario: scenario.name,
        fault: 'scenario failed to run',
        ok: false,
        figures: (error as Error).message.split('\n')[0]!,
        details: {},
      });
    }
    const r = results.at(-1)!;
    console.log(
      `  ${r.ok ? 'survived' : 'NOT SURVIVED'}: ${r.figures} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  const dir = projectPath('bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'chaos.json');
  const previous = await readFile(file, 'utf8').then(
    (text) => JSON.parse(text) as ChaosFile,
    () => undefined,
  );
  const merged = mergeChaosFile(
    positionals.length > 0 ? previous : undefined,
    scale,
    results,
    new Date().toISOString(),
  );
  await writeFile(file, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`\n${results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.scenario}: ${r.figures}`).join('\n')}`);
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
