import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregatorProcess } from '../../src/services/aggregator/aggregator-process.ts';
import { aggregatorFlags, type ChainEnv, startAggregator, startChainEnv } from '../support/aggregator-env.ts';
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

const ARTIFACTS = join(import.meta.dirname, '../../test-artifacts');

let env: ChainEnv;
let agg: AggregatorProcess;
let browser: Browser;
let dist: string;

beforeAll(async () => {
  dist = await mkdtemp(join(tmpdir(), 'allegro-web-'));
  await mkdir(ARTIFACTS, { recursive: true });
  await build({
    configFile: join(import.meta.dirname, '../../web/vite.config.ts'),
    build: { outDir: dist, emptyOutDir: true },
    logLevel: 'warn',
  });
  env = await startChainEnv(2);
  agg = await startAggregator(aggregatorFlags(env, 'web', ['--web-dir', dist, '--devnet-accounts']));
  browser = await chromium.launch(CHROMIUM);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await agg?.stop();
  await env?.stop();
  await rm(dist, { recursive: true, force: true });
  for (const pid of [agg?.pid, ...(env?.pids() ?? [])]) if (pid) expect(pidAlive(pid)).toBe(false);
});

/** The page, with every request URL (WebSockets included) and every page error recorded. */
async function openPage(): Promise<{ page: Page; urls: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const urls: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => urls.push(r.url()));
  page.on('websocket', (ws) => urls.push(ws.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(agg.httpUrl);
  await page.getByTestId('connection').getByText('live').waitFor({ timeout: 30_000 });
  return { page, urls, errors };
}

/**
 * The QC timeline line of a payment once the next block came: the head when the QC formed, the next block's
 * height, and both absolute times (the aggregator's QC time, the block's chain timestamp) as HH:MM:SS.mmm.
 */
async function qcLine(page: Page, txHash: string) {
  const qc = page.locator(`[data-testid="qc-event"][data-tx-hash="${txHash}"]`);
  await qc.getByTestId('before-next-block').waitFor({ timeout: 30_000 });
  const shown = (await qc.textContent())!;
  console.log(`page: ${shown}`);
  const [, atBlock, qcAt, nextBlock, nextAt] = /at block (\d+) (\S+) UTC · block (\d+) at (\S+) UTC/.exec(
    shown,
  )!;
  return { atBlock: Number(atBlock), nextBlock: Number(nextBlock), qcAt: qcAt!, nextAt: nextAt! };
}

/** Milliseconds of the day of an HH:MM:SS.mmm time. */
const msOfDay = (t: string) => {
  const [h, m, sec] = t.split(':').map(Number);
  return Math.round(((h! * 60 + m!) * 60 + sec!) * 1000);
};

/**
 * The QC formed before the chain's next block: a later height, and a QC time before the end of the second the
 * next block is stamped with (the devnet stamps blocks in whole seconds, so a block stamped 52.000 may be produced
 * during second 52).
 */
function expectQcBeforeNextBlock(line: Awaited<ReturnType<typeof qcLine>>): void {
  expect(line.nextBlock).toBeGreaterThan(line.atBlock);
  expect(msOfDay(line.qcAt)).toBeLessThan(msOfDay(line.nextAt) + 1000);
}

async function waitOnChain(page: Page, txHash: string): Promise<void> {
  await page
    .locator(`[data-testid="payment-row"][data-tx-hash="${txHash}"]`)
    .getByText(/INCLUDED|FINALIZED/)
    .waitFor({ timeout: 30_000 });
}

/** No horizontal scroll: the document is no wider than the viewport. */
async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('the web page (Vite + React, GraphQL only) in a real browser on a devnet', () => {
  it('pays Alice → Bob and runs the chained demo from the page (signed in the browser), shows both QCs before the next block and their inclusion, keeps the history over a reload, draws the machines, fits 360 px and talks only to the aggregator', async () => {
    const { page, urls, errors } = await openPage();
    const alice = page.locator('[data-testid="account"][data-name="Alice"]');
    await alice.getByText('15 AlphaUSD').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('no-payments').textContent()).resolves.toMatch(/No payments yet/);

    await page.getByTestId('pay-from').selectOption({ label: 'Alice' });
    await page.getByTestId('pay-to').selectOption({ label: 'Bob' });
    await page.getByTestId('pay-amount').fill('1');
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('pay-outcome').textContent({ timeout: 30_000 })).resolves.toMatch(
      /1 AlphaUSD: (QC_FORMED|QUEUED_ONCHAIN)/,
    );
    const detail = page.getByTestId('payment-detail');
    await detail.waitFor({ timeout: 30_000 });
    const single = (await detail.getAttribute('data-tx-hash'))!;
    await expect(detail.getByTestId('qc-verified').textContent({ timeout: 30_000 })).resolves.toBe(
      'verified in this browser: Dave, Edgar (2 of 2, quorum 2)',
    );
    await expect(detail.getByTestId('detail-guarantee').textContent()).resolves.toMatch(/^LOCKED/);
    expectQcBeforeNextBlock(await qcLine(page, single));
    await expect(page.getByTestId('head-source').textContent()).resolves.toMatch(
      /aggregator's chain head: the Tempo node's newHeads at ws:\/\/127\.0\.0\.1:\d+/,
    );
    await waitOnChain(page, single);

    await page.getByTestId('run-demo').click();
    await page.getByTestId('demo-state').getByText('state: done').waitFor({ timeout: 90_000 });
    await expect(page.getByTestId('demo-outcome').textContent()).resolves.toMatch(
      /^both included; balances at block \d+: Alice 4 AlphaUSD, Bob 6 AlphaUSD, Carol 15 AlphaUSD$/,
    );
    const rows = page.getByTestId('payment-row');
    await expect(rows.count()).resolves.toBe(3);
    const [second, first2] = await Promise.all(
      [0, 1].map(async (i) => (await rows.nth(i).getAttribute('data-tx-hash'))!),
    );
    const [qc2, qc1] = [await qcLine(page, second!), await qcLine(page, first2!)];
    expect(qc2.atBlock).toBe(qc1.atBlock);
    expect(qc2.nextBlock).toBe(qc1.nextBlock);
    expectQcBeforeNextBlock(qc1);
    expectQcBeforeNextBlock(qc2);
    for (const tx of [first2!, second!]) await waitOnChain(page, tx);
    await rows.nth(0).getByRole('button').click();
    await expect(
      page.getByTestId('payment-detail').getByTestId('qc-verified').textContent({ timeout: 30_000 }),
    ).resolves.toMatch(/^verified in this browser: (Dave, Edgar|Edgar, Dave)/);
    await expect(page.getByTestId('block-proof').textContent()).resolves.toMatch(
      new RegExp(`QC at block ${qc2.atBlock}, included in block \\d+\\.`),
    );
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-desktop.png'), fullPage: true });

    await page.reload();
    await page.getByTestId('connection').getByText('live').waitFor({ timeout: 30_000 });
    await expect(
      page.locator(`[data-testid="payment-row"][data-tx-hash="${single}"]`).textContent({ timeout: 30_000 }),
    ).resolves.toMatch(/Alice → Bob1 AlphaUSD(INCLUDED|FINALIZED)/);
    await expect(page.getByTestId('payment-row').count()).resolves.toBe(3);
    await page.locator(`[data-testid="payment-row"][data-tx-hash="${second}"]`).getByRole('button').click();

    await page.getByTestId('tab-machines').click();
    const machine = page.getByTestId('machine-payment');
    await machine.waitFor();
    await expect(machine.locator('[data-current="true"]').getAttribute('data-state')).resolves.toMatch(
      /^(included|finalized)$/,
    );
    await expect(page.getByTestId('payment-events').textContent()).resolves.toMatch(
      /CERTIFICATE .*QC_FORMED at block \d+.*INCLUDED/,
    );
    const settlement = page.getByTestId('machine-settlement');
    await expect(settlement.locator('[data-state]').count()).resolves.toBe(12);
    await expect(settlement.locator('[data-current="true"]').getAttribute('data-state')).resolves.toMatch(
      /^(included|finalized)$/,
    );
    await expect(page.getByTestId('machine-chainedDemo').locator('[data-state]').count()).resolves.toBe(9);

    await page.setViewportSize({ width: 360, height: 780 });
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-machines-360.png'), fullPage: true });
    await page.getByTestId('tab-payments').click();
    await page.getByTestId('payment-detail').waitFor({ timeout: 30_000 });
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-360.png'), fullPage: true });

    const origin = new URL(agg.httpUrl);
    const elsewhere = urls.filter((u) => {
      const url = new URL(u);
      return url.hostname !== '127.0.0.1' || url.port !== origin.port;
    });
    expect(urls.length).toBeGreaterThan(3);
    expect(elsewhere).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
