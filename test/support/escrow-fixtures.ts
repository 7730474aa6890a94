import { numberToBytes } from 'viem';
import { buildEscrowPayment } from '../../src/client/build-escrow-payment.ts';
import { fromHex } from '../../src/protocol/bytes.ts';
import type { EscrowDomain } from '../../src/protocol/escrow/escrow-eip712.ts';
import type { QuorumCertificate } from '../../src/protocol/types.ts';
import type { ChainView } from '../../src/protocol/validation/chain-view.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { ALPHA_USD } from './demo-keys.ts';
import { suite } from './validator-harness.ts';

export const ESCROW = fromHex('0x00000000000000000000000000000000e5c40001');
export const ESCROW_DOMAIN: EscrowDomain = { chainId: 1337n, escrow: ESCROW };

/** An escrow payment of the test payer `key` on lane 1 (default), seq 0, AlphaUSD, ten minutes ahead. */
export function escrowPayment(spec: {
  key: `0x${string}`;
  to: Uint8Array;
  amount: bigint;
  seq?: bigint;
  lane?: bigint;
  deadline?: bigint;
  domain?: EscrowDomain;
  parent?: { qc: QuorumCertificate; paymentId: Uint8Array };
}) {
  return buildEscrowPayment({
    suite,
    account: spec.key,
    domain: spec.domain ?? ESCROW_DOMAIN,
    to: spec.to,
    amount: spec.amount,
    asset: ALPHA_USD,
    lane: { nonceKey: numberToBytes(spec.lane ?? 1n, { size: 32 }) },
    seq: spec.seq ?? 0n,
    deadline: spec.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 600),
    ...(spec.parent ? { parent: spec.parent } : {}),
  });
}

/**
 * A static chain view serving `ESCROW`, with wallet balances and escrow balances (already net of announced
 * withdrawals) and the escrow lanes' nextSeq; absent values are zero.
 */
export function escrowChainView(state: {
  head: { height: bigint; timestampMs: bigint };
  wallet?: { account: Uint8Array; amount: bigint }[];
  escrow: { account: Uint8Array; amount: bigint }[];
  nextSeq?: { account: Uint8Array; lane: Uint8Array; seq: bigint }[];
  serves?: Uint8Array;
}): ChainView {
  const base = createStaticChainView({
    head: state.head,
    balances: (state.wallet ?? []).map((b) => ({ ...b, asset: ALPHA_USD })),
  });
  const escrow = createStaticChainView({
    head: state.head,
    balances: state.escrow.map((b) => ({ ...b, asset: ALPHA_USD })),
    nonces: (state.nextSeq ?? []).map((n) => ({ account: n.account, nonceKey: n.lane, nonce: n.seq })),
  });
  return {
    ...base,
    escrow: state.serves ?? ESCROW,
    escrowBalanceOf: escrow.balanceOf,
    escrowNextSeq: escrow.nonceOf,
  };
}
