import { Address, type Hex, P256, Rlp, Secp256k1 } from 'ox';
import { SignatureEnvelope, TxEnvelopeTempo } from 'ox/tempo';
import { encodeFunctionData, erc20Abi } from 'viem';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { ALICE_KEY, ALPHA_USD, BOB } from './demo-keys.ts';

export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/** A decoded RLP item: a byte string or a list of items. */
export type RlpItem = Hex.Hex | readonly RlpItem[];

export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** Calldata of TIP-20 `transfer(recipient, amount)`. */
export function transferData(recipient: Uint8Array, amount: bigint): Hex.Hex {
  return encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [toHex(recipient), amount] });
}

/** A `transfer` call on `asset` (default AlphaUSD). */
export function transferCall(recipient: Uint8Array, amount: bigint, asset: Uint8Array = ALPHA_USD) {
  return { to: toHex(asset), data: transferData(recipient, amount) };
}

/** An unsigned 0x76 payment of 10 AlphaUSD to Bob on chain 1337, with `overrides` applied. */
export function tempoEnvelope(
  overrides: Partial<TxEnvelopeTempo.TxEnvelopeTempo> = {},
): TxEnvelopeTempo.TxEnvelopeTempo {
  return {
    type: 'tempo',
    chainId: 1337,
    calls: [transferCall(BOB, 10n)],
    nonceKey: 7n,
    nonce: 1n,
    gas: 100_000n,
    maxFeePerGas: 20_000_000_000n,
    maxPriorityFeePerGas: 1n,
    validBefore: 2_000_000_000,
    ...overrides,
  };
}

/** Raw secp256k1 signature of the sender over the envelope's sign payload. */
export function senderSignature(envelope: TxEnvelopeTempo.TxEnvelopeTempo, privateKey: Hex.Hex = ALICE_KEY) {
  return Secp256k1.sign({ payload: TxEnvelopeTempo.getSignPayload(envelope), privateKey });
}

/** Signs `envelope` with secp256k1 through ox and serializes it. */
export function signTempo(
  envelope: TxEnvelopeTempo.TxEnvelopeTempo,
  privateKey: Hex.Hex = ALICE_KEY,
): Uint8Array {
  const signature = SignatureEnvelope.from(senderSignature(envelope, privateKey));
  return fromHex(TxEnvelopeTempo.serialize(envelope, { signature }));
}

/** A sponsored 0x76 tx: the sender signs over the fee payer placeholder, then `feePayerKey` signs for the sender. */
export function signSponsoredTempo(
  envelope: TxEnvelopeTempo.TxEnvelopeTempo,
  feePayerKey: Hex.Hex,
  senderKey: Hex.Hex = ALICE_KEY,
): Uint8Array {
  const unsigned = { ...envelope, feePayerSignature: null };
  const signature = SignatureEnvelope.from(senderSignature(unsigned, senderKey));
  const sender = Address.fromPublicKey(Secp256k1.getPublicKey({ privateKey: senderKey }));
  const payload = TxEnvelopeTempo.getFeePayerSignPayload(unsigned, { sender });
  const feePayerSignature = Secp256k1.sign({ payload, privateKey: feePayerKey });
  return fromHex(TxEnvelopeTempo.serialize({ ...unsigned, feePayerSignature }, { signature }));
}

/** Signs `envelope` with a P256 key (WebCrypto style when `prehash`) and returns the tx and the key's address. */
export function signTempoP256(envelope: TxEnvelopeTempo.TxEnvelopeTempo, prehash: boolean) {
  const { privateKey, publicKey } = P256.createKeyPair();
  const payload = TxEnvelopeTempo.getSignPayload(envelope);
  const signature = P256.sign({ payload, privateKey, hash: prehash });
  const envelopeSignature = SignatureEnvelope.from({ signature, publicKey, prehash });
  return {
    tx: fromHex(TxEnvelopeTempo.serialize(envelope, { signature: envelopeSignature })),
    address: fromHex(Address.fromPublicKey(publicKey)),
    signature,
  };
}

/** The RLP items of a 0x76 tx body. */
export function tempoItems(tx: Uint8Array): RlpItem[] {
  return [...(Rlp.toHex(tx.subarray(1)) as readonly RlpItem[])];
}

/** A 0x76 tx made of `items`, RLP-encoded canonically. */
export function tempoFromItems(items: readonly RlpItem[]): Uint8Array {
  return fromHex(`0x76${Rlp.fromHex(items).slice(2)}`);
}

/** The sender signature envelope bytes of a signed 0x76 tx (its last item). */
export function tempoSignatureBytes(tx: Uint8Array): Uint8Array {
  return fromHex(tempoItems(tx).at(-1) as Hex.Hex);
}

/** `tx` with its item `index` replaced by `item`. */
export function withTempoItem(tx: Uint8Array, index: number, item: RlpItem): Uint8Array {
  const items = tempoItems(tx);
  items[index] = item;
  return tempoFromItems(items);
}
