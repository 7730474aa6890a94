import type { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainHead, ChainPort } from '../chain/chain-port.ts';
import { pollHeads } from '../chain/poll-heads.ts';
import { quorumHead } from '../protocol/quorum-head.ts';
import type { ServiceClient } from '../wire/grpc-client.ts';

/**
 * Heads as the sidecars report them (GetChainHead, reference §6.7), for a system without its own chain node: every
 * sidecar is asked and the head is the (f+1)-th highest answer (quorumHead), so f lying sidecars cannot move it;
 * polled every `intervalMs`, each height reported once (a standalone sidecar's height never moves). Fails while
 * fewer than f+1 sidecars answer.
 */
export function sidecarHeads(
  clients: readonly ServiceClient<typeof FastPaySidecar>[],
  faultTolerance: number,
  intervalMs = 1000,
): Pick<ChainPort, 'head' | 'watchHeads'> {
  const head = async (): Promise<ChainHead> => {
    const answers = await Promise.allSettled(
      clients.map((client) => client.getChainHead({}, { timeoutMs: intervalMs * 2 })),
    );
    const reports = answers.flatMap((a) =>
      a.status === 'fulfilled'
        ? [{ height: a.value.blockHeight, hash: a.value.blockHash, timestampMs: a.value.unixMillis }]
        : [],
    );
    const agreed = quorumHead(reports, faultTolerance);
    if (agreed) return agreed;
    const failure = answers.find((a) => a.status === 'rejected');
    throw failure?.status === 'rejected'
      ? failure.reason
      : new Error(`fewer than ${faultTolerance + 1} sidecars reported a chain head`);
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
