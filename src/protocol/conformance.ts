import { bytesEqual, toHex } from './bytes.ts';
import type { CryptoSuite } from './crypto/suite.ts';
import { type HashVector, VECTOR_OUTPUTS, type VectorOutput } from './hash-vector.ts';
import { certDigest, certPreimage, effectsHash, qcHash, txHash } from './hashing.ts';

/** One output of one vector: the expected and computed bytes as `0x` hex, and whether they match. */
export interface ConformanceCheck {
  readonly output: VectorOutput;
  readonly expected: `0x${string}`;
  readonly computed: `0x${string}`;
  readonly pass: boolean;
}

/**
 * Recomputes every output a vector pins with the §3 hashing functions (tx_hash, effects_hash, cert_preimage,
 * cert_digest, and qc_hash over the vector's QC certificates and threshold) and compares each with the
 * expected bytes (reference §3.5), in the order of VECTOR_OUTPUTS. Outputs the vector does not pin are skipped.
 */
export function checkHashVector(suite: CryptoSuite, vector: HashVector): ConformanceCheck[] {
  const tx = txHash(suite, vector.tx);
  const effects = effectsHash(suite, vector.effects);
  const computed: Record<VectorOutput, Uint8Array> = {
    tx_hash: tx,
    effects_hash: effects,
    cert_preimage: certPreimage(vector.context, tx, effects),
    cert_digest: certDigest(suite, vector.context, tx, effects),
    qc_hash: qcHash(suite, {
      txHash: tx,
      effectsHash: effects,
      threshold: vector.qcThreshold,
      certs: vector.qcCerts,
    }),
  };
  return VECTOR_OUTPUTS.flatMap((output) => {
    const expected = vector.expected[output];
    if (!expected) return [];
    const actual = computed[output];
    return [
      { output, expected: toHex(expected), computed: toHex(actual), pass: bytesEqual(expected, actual) },
    ];
  });
}
