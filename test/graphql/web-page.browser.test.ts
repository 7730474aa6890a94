import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregatorProcess } from '../../src/services/aggregator/aggregator-process.ts';
import {
  aggregatorFlags,
  alicePays,
  type ChainEnv,
  startAggregator,
  startChainEnv,
} from '../support/aggregator-env.ts';
import { pidAlive } from '../support/pid-alive.ts';

/** Debian chromium with the flags it needs here (TOOLCHAIN.md); never a downloaded browser. */
const CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

let env: ChainEnv;
let agg: AggregatorProcess;
let browser: Browser;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'allegro-web-'));
  await build({
    configFile: join(import.meta.dirname, '../../web/vite.config.ts'),
    build: { outDir: dist, emptyOutDir: true },
    logLevel: 'warn',
  });
  env = await startChainEnv(2);
  agg = await startAggregator(aggregatorFlags(env, 'web', ['--web-dir', dist]));
  browser = await chromium.launch(CHROMIUM);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await agg?.stop();
  await env?.stop();
  await rm(dist, { recursive: true, force: true });
  for (const pid of [agg?.pid, ...(env?.pids() ?? [])]) if (pid) expect(pidAlive(pid)).toBe(false);
});

describe('the live web page (Vite + React, GraphQL only) in a real browser', () => {
  it('loads from the aggregator, shows blocks, and a payment submitted in the page appears as a QC before the next block', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(agg.httpUrl);
    await page.getByTestId('connection').getByText('live').waitFor({ timeout: 10_000 });
    await page.getByTestId('block-event').nth(1).waitFor({ timeout: 10_000 });

    const payment = alicePays(300);
    await page.getByTestId('signed-tx').fill(payment.signedTx);
    await page.getByTestId('submit').click();
    const qc = page.locator(`[data-testid="qc-event"][data-tx-hash="${payment.txHash}"]`);
    await qc.waitFor({ timeout: 10_000 });
    await expect(qc.textContent()).resolves.toMatch(/QC formed .* at block \d+/);
    await expect(page.getByTestId('submit-outcome').textContent()).resolves.toMatch(
      /QC_FORMED|QUEUED_ONCHAIN/,
    );
    const beforeNext = qc.getByTestId('before-next-block');
    await beforeNext.waitFor({ timeout: 10_000 });
    const shown = (await qc.textContent())!;
    console.log(`page: ${shown}`);
    const [, atBlock, nextBlock] = /at block (\d+).* before block (\d+)/.exec(shown)!;
    expect(Number(nextBlock)).toBe(Number(atBlock) + 1);
    const row = page.locator(`[data-testid="payment-row"][data-tx-hash="${payment.txHash}"]`);
    await row.getByText(/INCLUDED|FINALIZED/).waitFor({ timeout: 20_000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
