import type { Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainPort, ChainReceipt } from '../../src/chain/chain-port.ts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';
import type { FastPayTx, QuorumCertificate } from '../../src/protocol/types.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALPHA_USD, DAVE, EDGAR } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { certifyAll, type SidecarClient } from '../support/sidecar-calls.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const FRANK = { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) };
const GRACE = { name: 'Grace', id: repeatByte(0xa1, 32), seed: repeatByte(0x44, 32) };
const VALIDATORS = [DAVE, EDGAR, FRANK, GRACE];
const committee = committeeOf(VALIDATORS);

const ACCOUNTS = 12;
const ATTEMPTS = 220;
const INITIAL = 10_000000n;
const MAX_PLAIN = 3_000000n;

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
  readonly parents: Payment[];
  /** A payment of this account got certificates but no QC: its lane is left alone. */
  stuck: boolean;
  /** QC of this account's previous payment: sidecars need it to certify the next one (confirmation order). */
  previousQc?: QuorumCertificate;
}

interface Payment {
  readonly from: number;
  readonly to: number;
  readonly amount: bigint;
  readonly kind: 'plain' | 'chained' | 'overspend';
  readonly tx: FastPayTx;
  readonly certs: number;
  readonly qc?: QuorumCertificate;
  readonly parent?: Payment;
  /** Chain height when the QC had formed. */
  readonly qcAt: bigint;
}

const accounts: Account[] = Array.from({ length: ACCOUNTS }, (_, i) => {
  const key = `0x${(0x60 + i).toString(16).repeat(32)}` as Hex;
  return {
    key,
    address: fromHex(privateKeyToAddress(key)),
    seq: 0n,
    spendable: INITIAL,
    qcIn: 0n,
    qcOut: 0n,
    maxIn: 0n,
    parents: [],
    stuck: false,
  };
});

/** mulberry32: a small seeded generator, so a failing run can be replayed from its printed seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let devnet: Devnet;
let chain: ChainPort;
let group: SidecarPair;
let clients: SidecarClient[] = [];

beforeAll(async () => {
  devnet = await startDevnet({
    port: 0,
    blockTime: 1,
    chainId: 1337n,
    accounts: accounts.map((a, i) => ({
      name: `P${i}`,
      privateKey: fromHex(a.key),
      address: a.address,
      alphaUsd: INITIAL,
    })),
  });
  chain = createViemChain({ rpcUrl: devnet.rpcUrl });
  group = await SidecarPair.start(['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl], VALIDATORS);
  clients = VALIDATORS.map((v) => createClient(FastPaySidecar, group.url(v.name)));
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  const pids = [...(group?.processes.values() ?? [])].map((p) => p.pid);
  await group?.stop();
  await chain?.close();
  await devnet?.stop();
  for (const pid of [...pids, devnet?.pid]) if (pid) expect(pidAlive(pid)).toBe(false);
});

async function receiptsOf(
  payments: readonly Payment[],
  timeoutMs: number,
): Promise<Map<Payment, ChainReceipt>> {
  const receipts = new Map<Payment, ChainReceipt>();
  const deadline = Date.now() + timeoutMs;
  while (receipts.size < payments.length && Date.now() < deadline) {
    for (const p of payments) {
      if (receipts.has(p)) continue;
      const receipt = await chain.receipt(suite.keccak256(p.tx.tempoTx!));
      if (receipt) receipts.set(p, receipt);
    }
    if (receipts.size < payments.length) await new Promise((r) => setTimeout(r, 500));
  }
  return receipts;
}

describe('conservation through 4 sidecars on a real Tempo node (committee of 4, f = 1)', () => {
  it('settles every QC’d payment with success, conserves the token, never certifies beyond funds', async () => {
    const seed = Date.now() >>> 0;
    const random = generator(seed);
    const upTo = (max: bigint) => (max <= 1n ? 1n : 1n + BigInt(Math.floor(random() * Number(max))));
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 600);
    const payments: Payment[] = [];
    let issued = 0;

    /** One payment from `from`, or false when it has nothing to spend yet. */
    const pay = async (from: number): Promise<boolean> => {
      const payer = accounts[from]!;
      const to = (from + 1 + Math.floor(random() * (ACCOUNTS - 1))) % ACCOUNTS;
      const roll = random();
      const parent =
        payer.parents.length > 0 && (roll < 0.45 || payer.spendable < 1n) ? payer.parents.at(-1) : undefined;
      const available = payer.spendable + (parent?.amount ?? 0n);
      const kind: Payment['kind'] = roll < 0.1 ? 'overspend' : parent ? 'chained' : 'plain';
      if (kind !== 'overspend' && available < 1n) return false;
      const amount =
        kind === 'overspend'
          ? INITIAL + payer.maxIn - payer.qcOut + 1n
          : upTo(kind === 'chained' || available < MAX_PLAIN ? available : MAX_PLAIN);
      const cited = kind === 'chained' ? parent : undefined;
      const tx = await buildPayment({
        key: payer.key,
        to: accounts[to]!.address,
        amount,
        seq: payer.seq,
        validBefore,
        ...(cited ? { parentQcHash: cited.qc!.qcHash } : {}),
      });
      accounts[to]!.maxIn += amount;
      const { answers, qc } = await certifyAll(
        clients,
        committee,
        tx,
        [...(cited ? [cited.qc!] : []), ...(payer.previousQc ? [payer.previousQc] : [])],
        cited ? [cited.tx] : [],
      );
      const payment: Payment = {
        from,
        to,
        amount,
        kind,
        tx,
        certs: answers.filter((a) => 'cert' in a).length,
        ...(qc ? { qc } : {}),
        ...(cited ? { parent: cited } : {}),
        qcAt: (await chain.head()).height,
      };
      payments.push(payment);
      if (payment.certs === 0) {
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
        while (issued < ATTEMPTS && !payer.stuck) {
          if (await pay(from)) issued++;
          await new Promise((r) => setTimeout(r, random() * 60));
        }
      }),
    );
    const certifiedIn = Date.now() - started;
    const qcd = payments.filter((p) => p.qc);
    const certified = payments.filter((p) => p.certs > 0);
    const receipts = await receiptsOf(certified, 90_000);
    const settledIn = Date.now() - started;
    const count = (kind: Payment['kind'], list = payments) => list.filter((p) => p.kind === kind).length;
    const onCredit = qcd.filter((p) => p.parent && receipts.get(p.parent)!.blockNumber > p.qcAt).length;
    console.log(
      `conservation (seed ${seed}): ${payments.length} payments (${count('plain')} plain, ${count('chained')} chained, ` +
        `${count('overspend')} overspend attempts) from ${ACCOUNTS} accounts; ${qcd.length} QCs ` +
        `(${count('chained', qcd)} chained, ${onCredit} before their parent landed), ` +
        `${certified.length - qcd.length} certified without QC, ` +
        `${accounts.filter((a) => a.stuck).length} lanes left; certified in ${certifiedIn} ms, ` +
        `all included after ${settledIn} ms`,
    );

    expect(payments.length).toBeGreaterThanOrEqual(200);
    expect(count('chained', qcd)).toBeGreaterThanOrEqual(20);
    expect(onCredit).toBeGreaterThan(0);
    const overspent = payments.filter((p) => p.kind === 'overspend' && p.qc);
    expect(overspent.map((p) => ({ from: p.from, amount: p.amount, certs: p.certs }))).toEqual([]);
    expect(receipts.size).toBe(certified.length);
    for (const p of qcd) expect(receipts.get(p)?.success).toBe(true);
    for (const p of qcd.filter((q) => q.parent)) {
      expect(receipts.get(p)!.blockNumber).toBeGreaterThan(receipts.get(p.parent!)!.blockNumber);
    }

    const height = (await chain.head()).height;
    const balances = await Promise.all(accounts.map((a) => chain.balanceOf(ALPHA_USD, a.address, height)));
    expect(balances.reduce((s, b) => s + b, 0n)).toBe(INITIAL * BigInt(ACCOUNTS));
    const landed = [...receipts].filter(([, r]) => r.success).map(([p]) => p);
    accounts.forEach((a, i) => {
      const moved = landed.reduce(
        (s, p) => s + (p.to === i ? p.amount : 0n) - (p.from === i ? p.amount : 0n),
        0n,
      );
      expect(balances[i]).toBe(INITIAL + moved);
      expect(a.qcOut).toBeLessThanOrEqual(INITIAL + a.qcIn);
    });
  }, 150_000);
});
