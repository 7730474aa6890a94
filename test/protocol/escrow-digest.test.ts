import { randomBytes } from 'node:crypto';
import { hashTypedData } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, U64_MAX } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import type { EscrowDomain } from '../../src/protocol/escrow/escrow-eip712.ts';
import {
  type EscrowPayment,
  escrowPaymentDigest,
  escrowSettlementDigest,
  NO_PARENT,
} from '../../src/protocol/escrow/escrow-payment.ts';
import { escrowRotationDigest } from '../../src/protocol/escrow/escrow-rotation.ts';
import {
  orderEscrowSignatures,
  recoverEscrowSigner,
  signEscrowDigest,
} from '../../src/protocol/escrow/escrow-signature.ts';

const nodeSuite = createNodeCryptoSuite();
const bytes = (n: number) => new Uint8Array(randomBytes(n));
const domain: EscrowDomain = { chainId: 4217n, escrow: bytes(20) };
const eip712Domain = {
  name: 'AllegroEscrow',
  version: '1',
  chainId: domain.chainId,
  verifyingContract: toHex(domain.escrow),
} as const;

function randomPayment(): EscrowPayment {
  return {
    payer: bytes(20),
    recipient: bytes(20),
    token: bytes(20),
    amount: (1n << 255n) + 12345n,
    lane: bytes(32),
    seq: U64_MAX,
    deadline: 1_900_000_000n,
    parent: bytes(32),
  };
}

/** viem's independent EIP-712 implementation of the contract's `paymentDigest`. */
function viemPaymentDigest(p: EscrowPayment): Uint8Array {
  return fromHex(
    hashTypedData({
      domain: eip712Domain,
      primaryType: 'Payment',
      types: {
        Payment: [
          { name: 'payer', type: 'address' },
          { name: 'recipient', type: 'address' },
          { name: 'token', type: 'address' },
          { name: 'amount', type: 'uint256' },
          { name: 'lane', type: 'uint256' },
          { name: 'seq', type: 'uint64' },
          { name: 'deadline', type: 'uint64' },
          { name: 'parent', type: 'bytes32' },
        ],
      },
      message: {
        payer: toHex(p.payer),
        recipient: toHex(p.recipient),
        token: toHex(p.token),
        amount: p.amount,
        lane: BigInt(toHex(p.lane)),
        seq: p.seq,
        deadline: p.deadline,
        parent: toHex(p.parent),
      },
    }),
  );
}

describe('escrow digests', () => {
  it('the payment digest is the EIP-712 typed-data hash of the Payment struct in the escrow domain', () => {
    for (let i = 0; i < 5; i++) {
      const p = randomPayment();
      expect(escrowPaymentDigest(domain, p)).toEqual(viemPaymentDigest(p));
    }
  });

  it('the settlement digest is the EIP-712 hash of Settlement(paymentId, epoch) and changes with the epoch', () => {
    const id = escrowPaymentDigest(domain, randomPayment());
    const typed = (epoch: bigint) =>
      fromHex(
        hashTypedData({
          domain: eip712Domain,
          primaryType: 'Settlement',
          types: {
            Settlement: [
              { name: 'paymentId', type: 'bytes32' },
              { name: 'epoch', type: 'uint64' },
            ],
          },
          message: { paymentId: toHex(id), epoch },
        }),
      );
    expect(escrowSettlementDigest(domain, id, 3n)).toEqual(typed(3n));
    expect(escrowSettlementDigest(domain, id, 3n)).not.toEqual(escrowSettlementDigest(domain, id, 4n));
  });

  it('the rotation digest is the EIP-712 hash of Rotation(epoch, members, threshold)', () => {
    const members = [bytes(20), bytes(20), bytes(20)];
    const expected = hashTypedData({
      domain: eip712Domain,
      primaryType: 'Rotation',
      types: {
        Rotation: [
          { name: 'epoch', type: 'uint64' },
          { name: 'members', type: 'address[]' },
          { name: 'threshold', type: 'uint256' },
        ],
      },
      message: { epoch: 2n, members: members.map(toHex), threshold: 3n },
    });
    expect(toHex(escrowRotationDigest(domain, 2n, members, 3n))).toBe(expected);
  });

  it('binds the escrow address and chain id: another domain gives another payment id', () => {
    const p = { ...randomPayment(), parent: NO_PARENT };
    const id = escrowPaymentDigest(domain, p);
    expect(escrowPaymentDigest({ ...domain, chainId: domain.chainId + 1n }, p)).not.toEqual(id);
    expect(escrowPaymentDigest({ ...domain, escrow: bytes(20) }, p)).not.toEqual(id);
  });
});

describe('escrow signatures', () => {
  const keys = Array.from({ length: 4 }, () => bytes(32));
  const addressOf = (key: Uint8Array) => fromHex(privateKeyToAddress(toHex(key)));
  const digest = bytes(32);

  it('a signature is 65 bytes r ‖ s ‖ v (v 27/28) and recovers to the signing key address', () => {
    for (const key of keys) {
      const sig = signEscrowDigest(digest, key);
      expect(sig.length).toBe(65);
      expect([27, 28]).toContain(sig[64]);
      expect(recoverEscrowSigner(nodeSuite, digest, sig)).toEqual(addressOf(key));
    }
  });

  it('recovers nothing from a signature of the wrong length', () => {
    expect(recoverEscrowSigner(nodeSuite, digest, signEscrowDigest(digest, keys[0]!).subarray(0, 64))).toBe(
      undefined,
    );
  });

  it('orders signatures by ascending signer address, one per signer, dropping malformed ones', () => {
    const sigs = keys.map((k) => signEscrowDigest(digest, k));
    const ordered = orderEscrowSignatures(nodeSuite, digest, [...sigs, sigs[0]!, new Uint8Array(65)]);
    const signers = ordered.map((s) => toHex(recoverEscrowSigner(nodeSuite, digest, s)!));
    expect(signers).toEqual(keys.map((k) => toHex(addressOf(k))).sort());
  });
});
