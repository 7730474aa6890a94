/**
 * Domain types, shaped like the wire messages of reference §2.1 but free of any protobuf runtime.
 * Byte fields are raw bytes whose lengths are checked by the parsing rules, not by the type; message
 * fields the proto may omit are optional. Every u64 is a bigint.
 */

/** `TempoTxFormat` (reference §2.1). Unknown numeric values are kept so they can be rejected. */
export enum TempoTxFormat {
  UNSPECIFIED = 0,
  EVM_OPAQUE_BYTES_V1 = 1,
  TEMPO_NATIVE_V1 = 2,
  /** Allegro: a payment out of the AllegroEscrow contract (ESCROWED guarantee). */
  ALLEGRO_ESCROW_V1 = 3,
}

/** A 2D nonce: 32-byte big-endian nonce key and the sequence within that key. */
export interface Nonce2D {
  readonly nonceKey: Uint8Array;
  readonly seq: bigint;
}

/** Expiry bound: valid while the chain head's height (or timestamp) is strictly below `value`. */
export type Expiry =
  | { readonly kind: 'maxBlockHeight'; readonly value: bigint }
  | { readonly kind: 'unixMillis'; readonly value: bigint };

/** `PaymentIntent`: the payment the client claims the signed tx makes. Address fields may be absent. */
export interface PaymentIntent {
  readonly sender?: Uint8Array;
  readonly recipient?: Uint8Array;
  readonly amount: bigint;
  readonly asset?: Uint8Array;
}

/** `FastPayTx`: a signed Tempo tx plus the wrapper fields the certificate is bound to. */
export interface FastPayTx {
  readonly chainId?: bigint;
  readonly tempoTx?: Uint8Array;
  readonly intent?: PaymentIntent;
  readonly nonce?: Nonce2D;
  /** `undefined` when the message is absent; `null` when present with no kind set. */
  readonly expiry?: Expiry | null;
  /** Empty means no parent. */
  readonly parentQcHash: Uint8Array;
  readonly clientRequestId: string;
  /** Numeric `TempoTxFormat`; may hold values outside the enum. */
  readonly format: number;
  readonly overlay?: { readonly payment?: PaymentIntent };
}

/** `ValidatorId`: name, 32-byte id and 32-byte Ed25519 public key. */
export interface ValidatorId {
  readonly name: string;
  readonly id: Uint8Array;
  readonly pubkey: Uint8Array;
}

/** `EffectsSummary`: the payment's effects as certified (reference §3.2 hashes these fields). */
export interface EffectsSummary {
  readonly sender?: Uint8Array;
  readonly recipient?: Uint8Array;
  readonly amount: bigint;
  readonly asset?: Uint8Array;
  readonly nonce?: Nonce2D;
}

/** `ValidatorCertificate` (reference §2.1, §4). */
export interface ValidatorCertificate {
  readonly signer?: ValidatorId;
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly effects?: EffectsSummary;
  readonly signature: Uint8Array;
  readonly createdUnixMillis: bigint;
  /** Allegro escrow mode: 65-byte secp256k1 signature by the validator's settlement key; absent otherwise. */
  readonly settlementSignature?: Uint8Array;
}

/** `QuorumCertificate` (reference §2.1, §5). `threshold` is informational: it is never trusted. */
export interface QuorumCertificate {
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly certs: readonly ValidatorCertificate[];
  readonly threshold: number;
  readonly qcHash: Uint8Array;
}

/** A payment after its fields were checked: every address 20 bytes, every hash 32 bytes. */
export interface Payment {
  readonly sender: Uint8Array;
  readonly recipient: Uint8Array;
  readonly amount: bigint;
  readonly asset: Uint8Array;
}

/** Validated effects: the payment plus the wrapper nonce (reference §3.2). */
export interface Effects extends Payment {
  readonly nonce: Nonce2D;
}

/** `SubmitFastPayRequest`: the payment and the QCs of the parents it spends from (reference §2.2). */
export interface SubmitRequest {
  readonly tx?: FastPayTx;
  readonly parentQcs: readonly QuorumCertificate[];
  /** Allegro: the parents' own FastPayTx, so a validator that never saw a parent can check it is landable. */
  readonly parentTxs?: readonly FastPayTx[];
}
