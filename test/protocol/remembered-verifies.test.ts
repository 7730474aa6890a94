import { describe, expect, it, vi } from 'vitest';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { rememberingVerifies } from '../../src/protocol/crypto/remembered-verifies.ts';

const base = createNodeCryptoSuite();
const signer = base.ed25519.signer(new Uint8Array(32).fill(7));
const message = new Uint8Array(32).fill(1);
const signature = signer.sign(message);

function counted(capacity: number) {
  const verify = vi.fn(base.ed25519.verify);
  const suite = rememberingVerifies({ ...base, ed25519: { ...base.ed25519, verify } }, capacity);
  return { suite, verify };
}

describe('rememberingVerifies', () => {
  it('verifies a valid signature once and answers the same triple again from memory', () => {
    const { suite, verify } = counted(4);
    expect(suite.ed25519.verify(signer.publicKey, message, signature)).toBe(true);
    expect(suite.ed25519.verify(signer.publicKey, message, signature)).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);
    expect(suite.remembered.size).toBe(1);
  });

  it('never remembers a failure: a bad signature is checked, and refused, every time', () => {
    const { suite, verify } = counted(4);
    const bad = signature.slice();
    bad[0]! ^= 1;
    expect(suite.ed25519.verify(signer.publicKey, message, bad)).toBe(false);
    expect(suite.ed25519.verify(signer.publicKey, message, bad)).toBe(false);
    expect(verify).toHaveBeenCalledTimes(2);
    expect(suite.remembered.size).toBe(0);
  });

  it('a remembered signature does not vouch for another message or another key', () => {
    const { suite } = counted(4);
    expect(suite.ed25519.verify(signer.publicKey, message, signature)).toBe(true);
    const other = message.slice();
    other[31] = 2;
    expect(suite.ed25519.verify(signer.publicKey, other, signature)).toBe(false);
    const otherKey = base.ed25519.signer(new Uint8Array(32).fill(8)).publicKey;
    expect(suite.ed25519.verify(otherKey, message, signature)).toBe(false);
  });

  it('holds at most its capacity, forgetting the least recently used signature first', () => {
    const { suite, verify } = counted(2);
    const messages = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));
    for (const m of messages) suite.ed25519.verify(signer.publicKey, m, signer.sign(m));
    expect(suite.remembered.size).toBe(2);
    verify.mockClear();
    suite.ed25519.verify(signer.publicKey, messages[0]!, signer.sign(messages[0]!));
    expect(verify).toHaveBeenCalledTimes(1);
  });
});
