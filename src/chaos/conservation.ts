import { type Hex, numberToBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import type { ChainPort } from '../chain/chain-port.ts';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { buildPayment } from '../client/build-payment.ts';
import { fromHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { FastPayTx, QuorumCertificate } from '../protocol/types.ts';
import { awaitReceipts } from './await-receipts.ts';
import { seededRandom } from './seeded-random.ts';

/** What certifying one payment at every sidecar gave: how many certificates, and the QC when 2f+1 matched. */
export interface Certified {
  readonly certs: number;
  readonly qc?: QuorumCertificate;
}

export interface ConservationOptions {
  /** Funded payer accounts (each starts with `initial` AlphaUSD). */
  readonly accounts: number;
  /** Payments to attempt in total (certified or not). */
  readonly attempts: number;
  readonly initial: bigint;
  /** Largest plain payment. */
  readonly maxPlain: bigint;
  /** Unix seconds shared by every payment (a child may not expire after its parent). */
  readonly validBefore: bigint;
  readonly seed: number;
  /** Each payer waits up to this many ms between payments. */
  readonly paceMs: number;
  readonly certify: (
    tx: FastPayTx,
    parentQcs: readonly QuorumCertificate[],
    parentTxs: readonly FastPayTx[],
  ) => Promise<Certified>;
  readonly chain: ChainPort;
}

/** A payment the run attempted: plain, chained on a QC'd incoming payment, or an overspend attempt. */
export interface ConservationPayment {
  readonly from: number;
  readonly to: number;
  readonly amount: bigint;
  readonly kind: 'plain' | 'chained' | 'overspend';
  readonly tx: FastPayTx;
  readonly certs: number;
  readonly qc?: QuorumCertificate;
  readonly parent?: ConservationPayment;
  /** Chain height when the QC had formed. */
  readonly qcAt: bigint;
}

interface Account {
  readonly key: Hex;
  readonly address: Uint8Array;
  seq: bigint;
  /** What this payer may still spend as every sidecar sees it: initial − certified out + parents spent. */
  spendable: bigint;
  qcIn: bigint;
  qcOut: bigint;
  /** Incoming payments submitted or certified so far: more than this account can ever have received. */
  maxIn: bigint;
  /** QC'd payments to this account not yet cited as a parent; the newest is spent first. */
  readonly parents: ConservationPayment[];
  /** A payment of this account got certificates but no QC: its lane is left alone. */
  stuck: boolean;
  /** QC of this account's previous payment: sidecars need it to certify the next one (confirmation order). */
  previousQc?: QuorumCertificate;
}

/** The payer key of conservation account `i` (0x60…, 0x61…, …): fund these on the devnet. */
export function conservationKey(i: number): Hex {
  return `0x${(0x60 + i).toString(16).repeat(32)}` as Hex;
}

/** Everything a conservation run found; `violations` is empty when it conserved. */
export interface ConservationReport {
  readonly payments: readonly ConservationPayment[];
  readonly plain: number;
  readonly chained: number;
  readonly overspendAttempts: number;
  readonly qcs: number;
  readonly chainedQcs: number;
  /** Chained QCs formed before their parent landed (spent on credit). */
  readonly onCredit: number;
  readonly certifiedWithoutQc: number;
  readonly lanesLeft: number;
  readonly certifiedMs: number;
  readonly settledMs: number;
  /** Broken rules, one line each: an overspend with a QC, a QC'd payment not landed, tokens created or lost. */
  readonly violations: readonly string[];
  /** One line of figures. */
  readonly summary: string;
}

/**
 * A conservation run: `accounts` payers spend among each other at random (plain payments, chained payments
 * citing a QC'd incoming payment, and overspend attempts beyond anything the payer can have), then every
 * certified payment is awaited on chain. Conserved when no overspend got a QC, every QC'd payment landed with
 * success (a child after its parent), the token total is unchanged, each balance is its initial amount plus what
 * landed, and no payer got QCs beyond its funds plus its QC'd income.
 */
export async function runConservation(
  options: ConservationOptions,
  settleTimeoutMs: number,
): Promise<ConservationReport> {
  const { chain, initial } = options;
  const suite = createNodeCryptoSuite();
  const accounts: Account[] = Array.from({ length: options.accounts }, (_, i) => {
    const key = conservationKey(i);
    return {
      key,
      address: fromHex(privateKeyToAddress(key)),
      seq: 0n,
      spendable: initial,
      qcIn: 0n,
      qcOut: 0n,
      maxIn: 0n,
      parents: [],
      stuck: false,
    };
  });
  const random = seededRandom(options.seed);
  const upTo = (max: bigint) => (max <= 1n ? 1n : 1n + BigInt(Math.floor(random() * Number(max))));
  const payments: ConservationPayment[] = [];
  let issued = 0;

  /** One payment from `from`, or false when it has nothing to spend yet. */
  const pay = async (from: number): Promise<boolean> => {
    const payer = accounts[from]!;
    const to = (from + 1 + Math.floor(random() * (accounts.length - 1))) % accounts.length;
    const roll = random();
    const parent =
      payer.parents.length > 0 && (roll < 0.45 || payer.spendable < 1n) ? payer.parents.at(-1) : undefined;
    const available = payer.spendable + (parent?.amount ?? 0n);
    const kind: ConservationPayment['kind'] = roll < 0.1 ? 'overspend' : parent ? 'chained' : 'plain';
    if (kind !== 'overspend' && available < 1n) return false;
    const amount =
      kind === 'overspend'
        ? initial + payer.maxIn - payer.qcOut + 1n
        : upTo(kind === 'chained' || available < options.maxPlain ? available : options.maxPlain);
    const cited = kind === 'chained' ? parent : undefined;
    const built = buildPayment({
      suite,
      account: payer.key,
      to: accounts[to]!.address,
      amount,
      asset: ALPHA_USD,
      chainId: 1337n,
      lane: { nonceKey: numberToBytes(1n, { size: 32 }) },
      seq: payer.seq,
      validBefore: options.validBefore,
    });
    const tx = cited ? { ...built.tx, parentQcHash: cited.qc!.qcHash } : built.tx;
    accounts[to]!.maxIn += amount;
    const { certs, qc } = await options.certify(
      tx,
      [...(cited ? [cited.qc!] : []), ...(payer.previousQc ? [payer.previousQc] : [])],
      cited ? [cited.tx] : [],
    );
    const payment: ConservationPayment = {
      from,
      to,
      amount,
      kind,
      tx,
      certs,
      ...(qc ? { qc } : {}),
      ...(cited ? { parent: cited } : {}),
      qcAt: (await chain.head()).height,
    };
    payments.push(payment);
    if (certs === 0) {
      accounts[to]!.maxIn -= amount;
      return true;
    }
    payer.seq++;
    if (cited) payer.parents.splice(payer.parents.indexOf(cited), 1);
    payer.spendable += (cited?.amount ?? 0n) - amount;
    if (!qc) {
      payer.stuck = true;
      return true;
    }
    payer.qcOut += amount;
    payer.previousQc = qc;
    accounts[to]!.qcIn += amount;
    accounts[to]!.parents.push(payment);
    return true;
  };

  const started = Date.now();
  await Promise.all(
    accounts.map(async (payer, from) => {
      while (issued < options.attempts && !payer.stuck) {
        if (await pay(from)) issued++;
        await new Promise((r) => setTimeout(r, random() * options.paceMs));
      }
    }),
  );
  const certifiedMs = Date.now() - started;
  const qcd = payments.filter((p) => p.qc);
  const certified = payments.filter((p) => p.certs > 0);
  const receipts = await awaitReceipts(chain, certified, settleTimeoutMs);
  const settledMs = Date.now() - started;

  const violations: string[] = [];
  for (const p of payments.filter((q) => q.kind === 'overspend' && q.qc)) {
    violations.push(`overspend of ${p.amount} by account ${p.from} got a QC (${p.certs} certificates)`);
  }
  const missing = certified.filter((p) => !receipts.has(p)).length;
  if (missing > 0) violations.push(`${missing} of ${certified.length} certified payments never landed`);
  const failed = qcd.filter((p) => receipts.has(p) && !receipts.get(p)!.success).length;
  if (failed > 0) violations.push(`${failed} QC'd payments landed but failed`);
  const early = qcd.filter(
    (p) =>
      p.parent &&
      receipts.has(p) &&
      receipts.has(p.parent) &&
      receipts.get(p)!.blockNumber <= receipts.get(p.parent)!.blockNumber,
  ).length;
  if (early > 0) violations.push(`${early} chained payments landed no later than their parent`);
  const height = (await chain.head()).height;
  const balances = await Promise.all(accounts.map((a) => chain.balanceOf(ALPHA_USD, a.address, height)));
  const total = balances.reduce((s, b) => s + b, 0n);
  const expected = initial * BigInt(accounts.length);
  if (total !== expected) violations.push(`token total ${total}, expected ${expected}`);
  const landed = [...receipts].filter(([, r]) => r.success).map(([p]) => p);
  accounts.forEach((a, i) => {
    const moved = landed.reduce(
      (s, p) => s + (p.to === i ? p.amount : 0n) - (p.from === i ? p.amount : 0n),
      0n,
    );
    if (balances[i] !== initial + moved) {
      violations.push(`account ${i} holds ${balances[i]}, landed payments say ${initial + moved}`);
    }
    if (a.qcOut > initial + a.qcIn) violations.push(`account ${i} got QCs for ${a.qcOut} beyond its funds`);
  });

  const count = (kind: ConservationPayment['kind'], list = payments) =>
    list.filter((p) => p.kind === kind).length;
  const onCredit = qcd.filter(
    (p) => p.parent && receipts.has(p.parent) && receipts.get(p.parent)!.blockNumber > p.qcAt,
  ).length;
  const report = {
    payments,
    plain: count('plain'),
    chained: count('chained'),
    overspendAttempts: count('overspend'),
    qcs: qcd.length,
    chainedQcs: count('chained', qcd),
    onCredit,
    certifiedWithoutQc: certified.length - qcd.length,
    lanesLeft: accounts.filter((a) => a.stuck).length,
    certifiedMs,
    settledMs,
    violations,
  };
  return {
    ...report,
    summary:
      `${payments.length} payments (${report.plain} plain, ${report.chained} chained, ${report.overspendAttempts} ` +
      `overspend attempts) among ${accounts.length} accounts, seed ${options.seed}; ${report.qcs} QCs ` +
      `(${report.chainedQcs} chained, ${onCredit} before their parent landed), ${report.certifiedWithoutQc} ` +
      `certified without QC, ${report.lanesLeft} lanes left; ${landed.length} landed, ` +
      `${count('overspend', qcd)} overspend QCs, token total ${total === expected ? 'conserved' : 'CHANGED'}; ` +
      `certified in ${certifiedMs} ms, all included after ${settledMs} ms`,
  };
}
