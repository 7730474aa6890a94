import { randomBytes } from 'node:crypto';
import { privateKeyToAddress } from 'viem/accounts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import type { EscrowSettlement } from '../../src/chain/escrow/escrow-calls.ts';
import { deployEscrow, type EscrowChain, type EscrowSender } from '../../src/chain/escrow/escrow-chain.ts';
import { compareBytes, fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import {
  type EscrowPayment,
  escrowPaymentDigest,
  escrowSettlementDigest,
  NO_PARENT,
} from '../../src/protocol/escrow/escrow-payment.ts';
import { signEscrowDigest } from '../../src/protocol/escrow/escrow-signature.ts';

/** A settlement key: secp256k1 private key and its address. */
export interface SettlementKey {
  readonly key: Uint8Array;
  readonly address: Uint8Array;
}

/** `n` deterministic settlement keys (first byte `base`, `base + 1`, …), sorted by ascending address. */
export function settlementKeys(n: number, base: number): SettlementKey[] {
  return Array.from({ length: n }, (_, i) => {
    const key = repeatByte(base + i, 32);
    return { key, address: fromHex(privateKeyToAddress(toHex(key))) };
  }).sort((a, b) => compareBytes(a.address, b.address));
}

/** The devnet (Alice, Bob, Carol funded with AlphaUSD and pathUSD) and one escrow deployed by Alice. */
export interface EscrowHarness {
  readonly devnet: Devnet;
  readonly escrow: EscrowChain;
  /** The escrow's epoch-0 committee, ascending. */
  readonly committee: readonly SettlementKey[];
  readonly threshold: number;
  readonly alice: EscrowSender;
  readonly bob: EscrowSender;
  readonly carol: EscrowSender;
  readonly token: Uint8Array;
  stop(): Promise<void>;
}

/** Starts `anvil --network tempo` (one block per transaction) and deploys an escrow with W = `delay` seconds. */
export async function startEscrowHarness(committeeSize: number, delay: bigint): Promise<EscrowHarness> {
  const devnet = await startDevnet({ port: 0 });
  try {
    const [alice, bob, carol] = devnet.accounts.map((a) => ({
      privateKey: a.privateKey,
      address: a.address,
    }));
    const committee = settlementKeys(committeeSize, 0x40);
    const threshold = committeeSize - Math.floor((committeeSize - 1) / 3);
    const escrow = await deployEscrow({
      rpcUrl: devnet.rpcUrl,
      deployer: alice!,
      committee: committee.map((k) => k.address),
      threshold: BigInt(threshold),
      withdrawalDelay: delay,
    });
    return {
      devnet,
      escrow,
      committee,
      threshold,
      alice: alice!,
      bob: bob!,
      carol: carol!,
      token: devnet.tokens.alphaUsd.address,
      stop: async () => {
        await escrow.close();
        await devnet.stop();
      },
    };
  } catch (err) {
    await devnet.stop();
    throw err;
  }
}

/** A payment on a fresh random lane, seq 0, deadline 10 minutes after the head, no parent, unless overridden. */
export async function newPayment(
  h: EscrowHarness,
  payer: EscrowSender,
  recipient: EscrowSender,
  amount: bigint,
  overrides: Partial<EscrowPayment> = {},
): Promise<EscrowPayment> {
  const { timestampMs } = await h.escrow.head();
  return {
    payer: payer.address,
    recipient: recipient.address,
    token: h.token,
    amount,
    lane: new Uint8Array(randomBytes(32)),
    seq: 0n,
    deadline: timestampMs / 1000n + 600n,
    parent: NO_PARENT,
    ...overrides,
  };
}

/** The payer's signature and the settlement signatures of `signers` (default: the first `threshold`), in order. */
export function certify(
  h: EscrowHarness,
  payment: EscrowPayment,
  payerKey: Uint8Array,
  signers: readonly SettlementKey[] = h.committee.slice(0, h.threshold),
  epoch = 0n,
): EscrowSettlement {
  const id = escrowPaymentDigest(h.escrow.domain, payment);
  const digest = escrowSettlementDigest(h.escrow.domain, id, epoch);
  return {
    payment,
    payerSignature: signEscrowDigest(id, payerKey),
    certSignatures: signers.map((s) => signEscrowDigest(digest, s.key)),
  };
}

/** Moves anvil's clock forward by `seconds` and mines a block at the new time (127.0.0.1 JSON-RPC). */
export async function advanceTime(rpcUrl: string, seconds: bigint): Promise<void> {
  for (const [method, params] of [
    ['evm_increaseTime', [Number(seconds)]],
    ['evm_mine', []],
  ] as const) {
    const res = await fetch(rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await res.json()) as { error?: { message: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message}`);
  }
}
