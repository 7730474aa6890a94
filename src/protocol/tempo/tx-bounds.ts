import { U64_MAX } from '../bytes.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';

const U128_MAX = (1n << 128n) - 1n;

/**
 * Integer widths the chain decodes (alloy/Tempo tx types): nonce and gas limit are u64, fees per gas u128. Larger
 * values round-trip through viem/ox but would be refused by the node, so the tx could never settle.
 */
export function checkTxBounds(nonce: bigint, gas: bigint, feesPerGas: readonly bigint[]): Reject | undefined {
  if (nonce > U64_MAX) return reject(RejectCode.INVALID_FORMAT, 'nonce does not fit u64');
  if (gas > U64_MAX) return reject(RejectCode.INVALID_FORMAT, 'gas limit does not fit u64');
  if (feesPerGas.some((fee) => fee > U128_MAX)) {
    return reject(RejectCode.INVALID_FORMAT, 'fee per gas does not fit u128');
  }
  return undefined;
}
