import { FastPaySidecar } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { Committee, CommitteeMember } from '../../protocol/committee.ts';
import { createClient, type ServiceClient } from '../../wire/grpc-client.ts';
import { clientTransport } from '../../wire/grpc-transport.ts';
import type { SidecarTransport } from '../../wire/sidecar-transport.ts';
import { ServiceError } from '../service-error.ts';
import { peerAddress } from './peer-address.ts';

/** One committee member's sidecar as the aggregator reaches it. */
export interface SidecarLink {
  readonly member: CommitteeMember;
  /** `host:port`. */
  readonly url: string;
  /** Submissions through the payer client's transport over `client` (certificate collection reuses its logic). */
  readonly transport: SidecarTransport;
  /** Boards, heads and lifecycle streams. */
  readonly client: ServiceClient<typeof FastPaySidecar>;
}

/**
 * A link to every committee member's sidecar at the member's URL, or else at the `--sidecars` entry in the same
 * position: ONE gRPC channel per sidecar that submissions, board reads, heads and lifecycle streams all share
 * (the reference opened a connection per call: §9.1, §14).
 */
export function openSidecarLinks(committee: Committee, sidecars: readonly string[]): SidecarLink[] {
  return committee.members.map((member, i) => {
    const given = member.url ?? sidecars[i];
    if (given === undefined) {
      throw new ServiceError('CONFIG', `no sidecar URL for validator ${member.name}: give it in --sidecars`);
    }
    const url = peerAddress(given);
    const client = createClient(FastPaySidecar, url);
    return { member, url, transport: clientTransport(client), client };
  });
}

export function closeSidecarLinks(links: readonly SidecarLink[]): void {
  for (const link of links) link.client.close();
}
