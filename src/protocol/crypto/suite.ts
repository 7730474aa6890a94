/**
 * The crypto primitives the protocol needs, behind one interface so the same rules run in Node (native
 * backends) and in the browser (pure JS). Protocol functions take a suite; they never pick one.
 */

/** An Ed25519 signing key from a 32-byte RFC 8032 seed (reference §4: the seed is the private key). */
export interface Ed25519Signer {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface Ed25519Backend {
  readonly name: string;
  signer(seed: Uint8Array): Ed25519Signer;
  /** Pure Ed25519 verification; false (never a throw) for malformed keys or signatures. */
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

export interface CryptoSuite {
  readonly name: string;
  sha256(data: Uint8Array): Uint8Array;
  keccak256(data: Uint8Array): Uint8Array;
  readonly ed25519: Ed25519Backend;
  /**
   * secp256k1 public-key recovery: 32-byte message hash, 64-byte compact signature r‖s, recovery id 0/1.
   * Returns the 20-byte Ethereum address, or undefined when the signature does not recover.
   */
  recoverAddress(hash: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array | undefined;
  /**
   * secp256k1 ECDSA of a 32-byte hash with RFC 6979 nonces and low s (what Ethereum signers produce, so both
   * backends give the same bytes): compact r‖s and the recovery id. Throws for an invalid private key.
   */
  signRecoverable(hash: Uint8Array, privateKey: Uint8Array): RecoverableSignature;
  /** The 20-byte Ethereum address of a secp256k1 private key: keccak256 of its public key, last 20 bytes. */
  addressOf(privateKey: Uint8Array): Uint8Array;
}

/** A secp256k1 signature with its recovery id (0 or 1, Ethereum's yParity). */
export interface RecoverableSignature {
  readonly signature: Uint8Array;
  readonly recoveryId: number;
}
