import type { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainHead, ChainPort } from '../chain/chain-port.ts';
import { pollHeads } from '../chain/poll-heads.ts';
import type { ServiceClient } from '../wire/grpc-client.ts';

/**
 * Heads as the sidecars report them (GetChainHead, reference §6.7), for a system without its own chain node: the
 * first sidecar that answers, in committee order, polled every `intervalMs`; each height is reported once (a
 * standalone sidecar's height never moves).
 */
export function sidecarHeads(
  clients: readonly ServiceClient<typeof FastPaySidecar>[],
  intervalMs = 1000,
): Pick<ChainPort, 'head' | 'watchHeads'> {
  const head = async (): Promise<ChainHead> => {
    let failure: unknown = new Error('no sidecar to ask for the chain head');
    for (const client of clients) {
      try {
        const r = await client.getChainHead({}, { timeoutMs: intervalMs * 2 });
        return { height: r.blockHeight, hash: r.blockHash, timestampMs: r.unixMillis };
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  };
  return {
    head,
    watchHeads(onHead, onError) {
      let last: bigint | undefined;
      return pollHeads(
        head,
        intervalMs,
        (h) => {
          if (last !== undefined && h.height <= last) return;
          last = h.height;
          onHead(h);
        },
        onError,
      );
    },
  };
}
