/**
 * What the validation decision reads of the chain, all as of one block B (ARCHITECTURE.md "The sidecar's
 * ledger"). Reads answer synchronously from values already loaded at B; `undefined` means "not loaded yet", and
 * the decision then asks for it (Decision kind `fetch`) instead of guessing.
 */
export interface ChainView {
  /** Height and timestamp of B; expiry is checked against these (reference §6.2 B2). */
  readonly head: { readonly height: bigint; readonly timestampMs: bigint; readonly baseFeePerGas?: bigint };
  /** False for a standalone sidecar without a chain: fees are then not reserved. */
  readonly chargesFees: boolean;
  /** TIP-20 balance of `account` at B. */
  balanceOf(account: Uint8Array, asset: Uint8Array): bigint | undefined;
  /** The chain's next nonce for (account, nonce key) at B; key 0 is the protocol nonce. */
  nonceOf(account: Uint8Array, nonceKey: Uint8Array): bigint | undefined;
  /**
   * The fee token charged to `account` when its tx names none; `null` when the view cannot know it (Tempo then
   * picks the account's preference or the token the tx calls), so the tx must name its fee token.
   */
  defaultFeeToken(account: Uint8Array): Uint8Array | null | undefined;
  /** Whether `token` can pay fees at B (a TIP-20 whose currency is USD); undefined when not loaded. */
  feeTokenUsable(token: Uint8Array): boolean | undefined;
  /** The AllegroEscrow this validator serves (20 bytes); escrow payments on any other are refused. */
  readonly escrow?: Uint8Array;
  /** `account`'s escrow balance of `token` at B minus its announced withdrawals (counted as spent). */
  escrowBalanceOf?(account: Uint8Array, token: Uint8Array): bigint | undefined;
  /** The escrow's nextSeq of (account, lane) at B: an escrow lane's chain nonce. */
  escrowNextSeq?(account: Uint8Array, lane: Uint8Array): bigint | undefined;
}

/** A chain value the decision needs but the view has not loaded. */
export type ChainRead =
  | { readonly kind: 'balance'; readonly account: Uint8Array; readonly asset: Uint8Array }
  | { readonly kind: 'nonce'; readonly account: Uint8Array; readonly nonceKey: Uint8Array }
  | { readonly kind: 'feeToken'; readonly account: Uint8Array }
  | { readonly kind: 'feeTokenUsable'; readonly token: Uint8Array }
  | { readonly kind: 'escrowBalance'; readonly account: Uint8Array; readonly asset: Uint8Array }
  | { readonly kind: 'escrowNextSeq'; readonly account: Uint8Array; readonly nonceKey: Uint8Array };
