import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/protocol/bytes.ts';
import type { CertContext, TxHashInput } from '../../src/protocol/hashing.ts';
import type { Effects } from '../../src/protocol/types.ts';

/** The reference's golden vector (reference §3.5), a verbatim copy of the shared `reference_hash_vector_1.json`. */
export const GOLDEN_VECTOR_PATH = fileURLToPath(
  new URL('../../vectors/reference_hash_vector_1.json', import.meta.url),
);

interface GoldenJson {
  chain_id: number;
  epoch: number;
  tempo_tx_hex: string;
  nonce_key_hex: string;
  nonce_seq: number;
  expiry: { kind: string; value: number };
  parent_qc_hash_hex: string;
  sender_hex: string;
  recipient_hex: string;
  amount: number;
  asset_hex: string;
  expected: Record<
    'tx_hash_hex' | 'effects_hash_hex' | 'cert_preimage_hex' | 'cert_digest_hex' | 'qc_hash_hex',
    string
  >;
}

const json = JSON.parse(readFileSync(GOLDEN_VECTOR_PATH, 'utf8')) as GoldenJson;
if (json.expiry.kind !== 'max_block_height') throw new Error('golden vector expiry changed');

const nonce = { nonceKey: fromHex(json.nonce_key_hex), seq: BigInt(json.nonce_seq) };

/** The golden tx_hash inputs. */
export const goldenTx: TxHashInput = {
  chainId: BigInt(json.chain_id),
  tempoTx: fromHex(json.tempo_tx_hex),
  nonce,
  expiry: { kind: 'maxBlockHeight', value: BigInt(json.expiry.value) },
  parentQcHash: fromHex(json.parent_qc_hash_hex),
};

/** The golden effects. */
export const goldenEffects: Effects = {
  sender: fromHex(json.sender_hex),
  recipient: fromHex(json.recipient_hex),
  amount: BigInt(json.amount),
  asset: fromHex(json.asset_hex),
  nonce,
};

/** The golden signing context (chain 1337, epoch 42). */
export const goldenContext: CertContext = { chainId: BigInt(json.chain_id), epoch: BigInt(json.epoch) };

/** The golden expected outputs. */
export const goldenExpected = {
  txHash: fromHex(json.expected.tx_hash_hex),
  effectsHash: fromHex(json.expected.effects_hash_hex),
  certPreimage: fromHex(json.expected.cert_preimage_hex),
  certDigest: fromHex(json.expected.cert_digest_hex),
  qcHash: fromHex(json.expected.qc_hash_hex),
};
