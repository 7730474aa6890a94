import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { Committee, CommitteeMember } from '../protocol/committee.ts';
import { createClient } from '../wire/grpc-client.ts';
import { grpcAddress } from '../wire/grpc-transport.ts';

/**
 * The committee of running sidecars as each describes itself in GetValidatorInfo (reference §12.2
 * "building verification context from sidecars"): trust on first use, acceptable for a demo against sidecars
 * the user just started; real payers pin the committee in configuration.
 */
export async function learnCommittee(
  urls: readonly string[],
  chainId: bigint,
  epoch: bigint,
): Promise<Committee> {
  const members = await Promise.all(
    urls.map(async (url): Promise<CommitteeMember> => {
      const client = createClient(FastPaySidecar, grpcAddress(url, {}));
      try {
        const { validator } = await client.getValidatorInfo({}, { timeoutMs: 5000 });
        if (!validator) throw new Error(`${url} did not say which validator it is`);
        return { name: validator.name, id: validator.id, publicKey: validator.pubkey, url };
      } finally {
        client.close();
      }
    }),
  );
  return { chainId, epoch, members };
}
