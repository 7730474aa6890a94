import { FastPaySidecar } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { grpcTransport } from '../../client/grpc-transport.ts';
import type { SidecarTransport } from '../../client/sidecar-transport.ts';
import type { Committee, CommitteeMember } from '../../protocol/committee.ts';
import { createClient, type ServiceClient } from '../../wire/grpc-client.ts';
import { ServiceError } from '../service-error.ts';
import { peerAddress } from '../sidecar/peer-address.ts';

/** One committee member's sidecar as the aggregator reaches it. */
export interface SidecarLink {
  readonly member: CommitteeMember;
  /** `host:port`. */
  readonly url: string;
  /** Submissions: the payer client's transport (certificate collection reuses the client's logic). */
  readonly transport: SidecarTransport;
  /** Boards, heads and lifecycle streams. */
  readonly client: ServiceClient<typeof FastPaySidecar>;
}

/**
 * A link to every committee member's sidecar at the member's URL, or else at the `--sidecars` entry in the same
 * position. Both clients of a link target one address with the same channel options, so grpc-js's shared
 * subchannel pool gives them ONE HTTP/2 connection per sidecar, reused by every call (fixes reference §9.1).
 */
export function openSidecarLinks(committee: Committee, sidecars: readonly string[]): SidecarLink[] {
  return committee.members.map((member, i) => {
    const given = member.url ?? sidecars[i];
    if (given === undefined) {
      throw new ServiceError('CONFIG', `no sidecar URL for validator ${member.name}: give it in --sidecars`);
    }
    const url = peerAddress(given);
    return { member, url, transport: grpcTransport(url), client: createClient(FastPaySidecar, url) };
  });
}

export function closeSidecarLinks(links: readonly SidecarLink[]): void {
  for (const link of links) {
    link.transport.close();
    link.client.close();
  }
}
