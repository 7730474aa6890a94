import type { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainHead, ChainPort } from '../chain/chain-port.ts';
import { pollHeads } from '../chain/poll-heads.ts';
import type { ServiceClient } from '../wire/grpc-client.ts';

/**
 * Heads as a sidecar reports them (GetChainHead, reference §6.7), for a system without its own chain node: polled
 * every `intervalMs`, each height reported once (a standalone sidecar's height never moves).
 */
export function sidecarHeads(
  client: ServiceClient<typeof FastPaySidecar>,
  intervalMs = 1000,
): Pick<ChainPort, 'head' | 'watchHeads'> {
  const head = async (): Promise<ChainHead> => {
    const r = await client.getChainHead({}, { timeoutMs: intervalMs * 5 });
    return { height: r.blockHeight, hash: r.blockHash, timestampMs: r.unixMillis };
  };
  return {
    head,
    watchHeads(onHead, onError) {
      let last: bigint | undefined;
      return pollHeads(
        head,
        intervalMs,
        (head) => {
          if (last !== undefined && head.height <= last) return;
          last = head.height;
          onHead(head);
        },
        onError,
      );
    },
  };
}
