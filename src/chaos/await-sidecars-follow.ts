import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainPort } from '../chain/chain-port.ts';
import { bytesEqual } from '../protocol/bytes.ts';
import { createClient } from '../wire/grpc-client.ts';
import { grpcAddress } from '../wire/grpc-transport.ts';
import { awaitEach } from './await-each.ts';

/**
 * Waits until every sidecar at `urls` follows the node `chain` reads: each reports (GetChainHead) a block above
 * `above` that this node holds under the same hash, so a head it learned from this node, not one it kept from
 * before a restart. Resolves with the milliseconds waited; throws naming the sidecars still behind after
 * `timeoutMs`.
 */
export async function awaitSidecarsFollow(
  chain: ChainPort,
  urls: readonly string[],
  above: bigint,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  const clients = urls.map((url) => createClient(FastPaySidecar, grpcAddress(url, {})));
  try {
    const following = await awaitEach(
      clients,
      async (client) => {
        const head = await client.getChainHead({}, { timeoutMs: 2_000 });
        if (head.blockHeight <= above) return undefined;
        const block = await chain.block(head.blockHeight);
        return block && bytesEqual(block.head.hash, head.blockHash) ? true : undefined;
      },
      timeoutMs,
    );
    const behind = urls.filter((_, i) => !following.has(clients[i]!));
    if (behind.length > 0) {
      throw new Error(
        `sidecars at ${behind.join(', ')} did not follow the restarted node within ${timeoutMs} ms (no head above ${above})`,
      );
    }
    return Date.now() - started;
  } finally {
    for (const client of clients) client.close();
  }
}
