import type { ChainPort } from '../../chain/chain-port.ts';
import type { Aggregator } from './aggregator.ts';

/**
 * The sequence the next payment of `sender` in lane `nonceKey` must use, as a validator computes it
 * (ARCHITECTURE.md "The sidecar's ledger": max(chain nonce at B, highest certified seq + 1)), from what this
 * aggregator sees: the chain's nonce at the head, moved past each following sequence it holds a QC for.
 */
export async function nextSequence(
  aggregator: Aggregator,
  chain: ChainPort,
  sender: Uint8Array,
  nonceKey: Uint8Array,
): Promise<bigint> {
  const head = await chain.head();
  let seq = await chain.nonce(sender, nonceKey, head.height);
  const certified = (s: bigint) =>
    aggregator.byContention(sender, nonceKey, s).some((key) => aggregator.quorumCertificate(key));
  while (certified(seq)) seq++;
  return seq;
}
