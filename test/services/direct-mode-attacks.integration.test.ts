import type { Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { RejectCode, rejectCodeName } from '../../src/protocol/reject.ts';
import { decodeTempoTx } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import type { FastPayTx, QuorumCertificate } from '../../src/protocol/types.ts';
import { wrapSignedPayment } from '../../src/protocol/wrap-signed-payment.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALPHA_USD, DAVE, EDGAR } from '../support/demo-keys.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { type Answer, certifyAll, type SidecarClient, submitTo } from '../support/sidecar-calls.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { signTempo, tempoEnvelope, transferCall } from '../support/tempo-tx-fixtures.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

/**
 * The auditor's attacks on the direct mode, replayed against four real chain-following sidecars on a real Tempo
 * node (committee of 4, f = 1, every validator honest). Each must now end without a QC.
 */
const FRANK = { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) };
const GRACE = { name: 'Grace', id: repeatByte(0xa1, 32), seed: repeatByte(0x44, 32) };
const VALIDATORS = [DAVE, EDGAR, FRANK, GRACE];
const committee = committeeOf(VALIDATORS);
const CHAIN_ID = 1337;

const account = (byte: string, alphaUsd: bigint) => {
  const key = `0x${byte.repeat(32)}` as Hex;
  return { key, address: fromHex(privateKeyToAddress(key)), alphaUsd };
};
const BOB = account('72', 5_000000n);
const CAROL = account('73', 0n);
const DAN = account('74', 1_000000n);

let devnet: Devnet;
let chain: ChainPort;
let group: SidecarPair;
let clients: SidecarClient[] = [];

beforeAll(async () => {
  devnet = await startDevnet({
    port: 0,
    blockTime: 1,
    chainId: BigInt(CHAIN_ID),
    accounts: [BOB, CAROL, DAN].map((a, i) => ({
      name: `A${i}`,
      privateKey: fromHex(a.key),
      address: a.address,
      alphaUsd: a.alphaUsd,
    })),
  });
  chain = createViemChain({ rpcUrl: devnet.rpcUrl });
  // A 60 s settlement margin: a tx valid for 30 s more is unlandable for these sidecars for all of its 30 s, so the
  // attacks below meet the landability rule (NOT_LANDABLE), not expiry, however slow the machine.
  group = await SidecarPair.start(
    ['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl, '--settlement-margin-ms', '60000'],
    VALIDATORS,
  );
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

/** Unix seconds of the node's latest block: deadlines are judged against the head, not this machine's clock. */
async function headSeconds(): Promise<number> {
  return Number((await chain.head()).timestampMs / 1000n);
}

/** A signed 0x76 transfer wrapped as the sidecars require, with `overrides` of the envelope. */
function payment(
  from: { key: Hex },
  to: Uint8Array,
  amount: bigint,
  overrides: Parameters<typeof tempoEnvelope>[0],
  parentQcHash?: Uint8Array,
): FastPayTx {
  const raw = signTempo(
    tempoEnvelope({
      chainId: CHAIN_ID,
      calls: [transferCall(to, amount, ALPHA_USD)],
      nonceKey: 5n,
      nonce: 0n,
      gas: 200_000n,
      feeToken: toHex(PATH_USD),
      ...overrides,
    }),
    from.key,
  );
  const decoded = decodeTempoTx(suite, 2, raw);
  if (!decoded.ok) throw new Error(decoded.reject.message);
  return wrapSignedPayment(raw, decoded.tx, parentQcHash ? { parentQcHash } : {})!;
}

const codes = (answers: readonly Answer[]) =>
  answers.map((a) => ('cert' in a ? 'CERT' : rejectCodeName(a.reject.code)));

describe('direct-mode attacks on 4 real sidecars (f = 1): each must fail to get a QC', () => {
  it('phantom parent credit: with unlandable parents routed around each validator, an account holding 0 gets no QC', async () => {
    const now = await headSeconds();
    const parents: { tx: FastPayTx; qc?: QuorumCertificate; answers: Answer[] }[] = [];
    for (const [i] of VALIDATORS.entries()) {
      // P_i (Bob → Carol) to every validator but V_i, valid for 30 s: inside the sidecars' settlement margin.
      const tx = payment(BOB, CAROL.address, 1_000000n, { nonceKey: BigInt(10 + i), validBefore: now + 30 });
      const others = clients.filter((_, j) => j !== i);
      const { answers, qc } = await certifyAll(others, committee, tx);
      parents.push({ tx, answers, ...(qc ? { qc } : {}) });
    }
    for (const p of parents) {
      expect(p.qc).toBeUndefined();
      expect(codes(p.answers)).toEqual(['NOT_LANDABLE', 'NOT_LANDABLE', 'NOT_LANDABLE']);
    }
    // Carol, holding 0, tries to spend anyway: plain, and citing each parent at the validator that never saw it.
    const plain = await certifyAll(
      clients,
      committee,
      payment(CAROL, DAN.address, 1_000000n, { validBefore: now + 600 }),
    );
    expect(plain.qc).toBeUndefined();
    expect(codes(plain.answers)).toEqual(Array(4).fill('INSUFFICIENT_FUNDS'));
    for (const [i, p] of parents.entries()) {
      const child = payment(
        CAROL,
        DAN.address,
        1_000000n,
        { nonceKey: 30n, validBefore: now + 30 },
        repeatByte(i + 1, 32),
      );
      const answer = await submitTo(clients[i]!, child, [], 1, [p.tx]);
      expect('cert' in answer).toBe(false);
    }
  }, 60_000);

  it('a validator that never saw a landable parent credits it only with the parent tx, and never past its deadline', async () => {
    const now = await headSeconds();
    const parentTx = payment(BOB, CAROL.address, 1_000000n, { nonceKey: 40n, validBefore: now + 400 });
    const { qc } = await certifyAll(clients.slice(0, 3), committee, parentTx);
    expect(qc).toBeDefined();
    const child = payment(
      CAROL,
      DAN.address,
      1_000000n,
      { nonceKey: 41n, validBefore: now + 600 },
      qc!.qcHash,
    );
    const later = await submitTo(clients[3]!, child, [qc!], 1, [parentTx]);
    expect('reject' in later && later.reject.message).toContain('later than its parent');
    const blind = payment(
      CAROL,
      DAN.address,
      1_000000n,
      { nonceKey: 41n, validBefore: now + 400 },
      qc!.qcHash,
    );
    const withoutTx = await submitTo(clients[3]!, blind, [qc!], 1);
    expect('reject' in withoutTx && withoutTx.reject.code).toBe(RejectCode.MISSING_PARENT_QC);
    const withTx = await submitTo(clients[3]!, blind, [qc!], 1, [parentTx]);
    expect('cert' in withTx).toBe(true);
  }, 60_000);

  it('certified but unlandable: each tx the node would refuse is refused with the rule and the amount', async () => {
    const now = await headSeconds();
    const cases: [string, FastPayTx, RejectCode, string][] = [
      [
        'validBefore 30 s ahead, inside the margin',
        payment(DAN, BOB.address, 1n, { nonceKey: 50n, validBefore: now + 30 }),
        RejectCode.NOT_LANDABLE,
        'too soon',
      ],
      [
        'maxFeePerGas 0',
        payment(DAN, BOB.address, 1n, {
          nonceKey: 51n,
          validBefore: now + 600,
          maxFeePerGas: 0n,
          maxPriorityFeePerGas: 0n,
        }),
        RejectCode.NOT_LANDABLE,
        'maxFeePerGas 0 below',
      ],
      [
        'validAfter ahead',
        payment(DAN, BOB.address, 1n, { nonceKey: 52n, validBefore: now + 600, validAfter: now + 30 }),
        RejectCode.NOT_LANDABLE,
        'validAfter',
      ],
      [
        'gas 30,000',
        payment(DAN, BOB.address, 1n, { nonceKey: 53n, validBefore: now + 600, gas: 30_000n }),
        RejectCode.NOT_LANDABLE,
        'gas limit 30000 below',
      ],
      [
        'unusable fee token',
        payment(DAN, BOB.address, 1n, {
          nonceKey: 54n,
          validBefore: now + 600,
          feeToken: '0x20c0000000000000000000000000000000000fff',
        }),
        RejectCode.NOT_LANDABLE,
        'not usable for fees',
      ],
      [
        'no validBefore',
        payment(DAN, BOB.address, 1n, { nonceKey: 55n, validBefore: undefined }),
        RejectCode.INVALID_FORMAT,
        '',
      ],
      [
        'to the zero address',
        payment(DAN, new Uint8Array(20), 1n, { nonceKey: 56n, validBefore: now + 600 }),
        RejectCode.INVALID_RECIPIENT,
        'zero address',
      ],
      [
        'to the token itself',
        payment(DAN, ALPHA_USD, 1n, { nonceKey: 57n, validBefore: now + 600 }),
        RejectCode.INVALID_RECIPIENT,
        'TIP-20 token',
      ],
      [
        'expiry 2 days ahead',
        payment(DAN, BOB.address, 1n, { nonceKey: 58n, validBefore: now + 172_800 }),
        RejectCode.INVALID_FORMAT,
        'expiry too far ahead',
      ],
    ];
    for (const [what, tx, code, message] of cases) {
      const { answers, qc } = await certifyAll(clients, committee, tx);
      expect(qc, what).toBeUndefined();
      for (const a of answers) {
        expect('reject' in a && a.reject.code, what).toBe(code);
        if ('reject' in a) expect(a.reject.message, what).toContain(message);
      }
    }
  }, 90_000);
});
