import { bytesToBigInt, encodeFunctionData } from 'viem';
import { Abis } from 'viem/tempo';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import type { EscrowPayment } from '../../protocol/escrow/escrow-payment.ts';
import type { TempoCall } from '../tempo-tx.ts';
import { ALLEGRO_ESCROW_ABI } from './allegro-escrow-artifact.ts';

/** A payment as the contract's ABI takes it. */
export function paymentArg(p: EscrowPayment) {
  return {
    payer: toHex(p.payer),
    recipient: toHex(p.recipient),
    token: toHex(p.token),
    amount: p.amount,
    lane: bytesToBigInt(p.lane),
    seq: p.seq,
    deadline: p.deadline,
    parent: toHex(p.parent),
  };
}

/** A payment with what `settle` needs: the payer's signature and the ordered settlement signatures. */
export interface EscrowSettlement {
  readonly payment: EscrowPayment;
  /** 65-byte r ‖ s ‖ v of the payer over the payment id. */
  readonly payerSignature: Uint8Array;
  /** 65-byte settlement signatures of the committee, by strictly ascending signer (orderEscrowSignatures). */
  readonly certSignatures: readonly Uint8Array[];
}

/** Names of the contract's state-changing functions. */
type EscrowWrite = Extract<
  (typeof ALLEGRO_ESCROW_ABI)[number],
  { type: 'function'; stateMutability: 'nonpayable' }
>['name'];

function escrowCall(escrow: Uint8Array, functionName: EscrowWrite, args: readonly unknown[]): TempoCall {
  return {
    to: escrow,
    data: fromHex(encodeFunctionData({ abi: ALLEGRO_ESCROW_ABI, functionName, args } as never)),
  };
}

/** TIP-20 `approve(escrow, amount)` followed by `deposit(token, amount)`: one 0x76 transaction of two calls. */
export function depositCalls(escrow: Uint8Array, token: Uint8Array, amount: bigint): TempoCall[] {
  const approve = encodeFunctionData({
    abi: Abis.tip20,
    functionName: 'approve',
    args: [toHex(escrow), amount],
  });
  return [{ to: token, data: fromHex(approve) }, escrowCall(escrow, 'deposit', [toHex(token), amount])];
}

/** `settle(payment, payerSig, certSigs)`. */
export function settleCall(escrow: Uint8Array, s: EscrowSettlement): TempoCall {
  return escrowCall(escrow, 'settle', settlementArgs(s));
}

/** `settleChain(parent…, child…)`: settles the parent unless already settled, then the child, atomically. */
export function settleChainCall(
  escrow: Uint8Array,
  parent: EscrowSettlement,
  child: EscrowSettlement,
): TempoCall {
  return escrowCall(escrow, 'settleChain', [...settlementArgs(parent), ...settlementArgs(child)]);
}

/** `announceWithdrawal(token, amount)`. */
export function announceWithdrawalCall(escrow: Uint8Array, token: Uint8Array, amount: bigint): TempoCall {
  return escrowCall(escrow, 'announceWithdrawal', [toHex(token), amount]);
}

/** `completeWithdrawal(id)`. */
export function completeWithdrawalCall(escrow: Uint8Array, id: bigint): TempoCall {
  return escrowCall(escrow, 'completeWithdrawal', [id]);
}

/** `rotateCommittee(members, threshold, sigs)`: members ascending, sigs by the current committee ascending. */
export function rotateCommitteeCall(
  escrow: Uint8Array,
  members: readonly Uint8Array[],
  threshold: bigint,
  signatures: readonly Uint8Array[],
): TempoCall {
  return escrowCall(escrow, 'rotateCommittee', [members.map(toHex), threshold, signatures.map(toHex)]);
}

function settlementArgs(s: EscrowSettlement): unknown[] {
  return [paymentArg(s.payment), toHex(s.payerSignature), s.certSignatures.map(toHex)];
}
