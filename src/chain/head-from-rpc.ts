import { fromHex } from '../protocol/bytes.ts';
import type { ChainHead } from './chain-port.ts';

/** The fields of a JSON-RPC block or `newHeads` header that a ChainHead needs. */
export interface RpcHeader {
  readonly number?: string | null;
  readonly hash?: string | null;
  readonly timestamp?: string;
  /** Tempo's millisecond timestamp; other nodes omit it. */
  readonly timestampMillis?: string;
  readonly baseFeePerGas?: string | null;
}

/**
 * ChainHead of a JSON-RPC block or header. The timestamp is Tempo's `timestampMillis` when present, else the
 * second timestamp × 1000. Throws on a pending block (no number or hash).
 */
export function headFromRpc(header: RpcHeader): ChainHead {
  if (!header.number || !header.hash || !header.timestamp) {
    throw new Error(`incomplete block header: ${JSON.stringify(header)}`);
  }
  return {
    height: BigInt(header.number),
    hash: fromHex(header.hash, 32),
    timestampMs: header.timestampMillis ? BigInt(header.timestampMillis) : BigInt(header.timestamp) * 1000n,
    ...(header.baseFeePerGas ? { baseFeePerGas: BigInt(header.baseFeePerGas) } : {}),
  };
}
