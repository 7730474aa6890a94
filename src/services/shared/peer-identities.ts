import { FastPaySidecar } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { CommitteeMember } from '../../protocol/committee.ts';
import { Backoff, type BackoffOptions, pause } from '../../util/backoff.ts';
import type { Logger } from '../../util/logger.ts';
import { createClient } from '../../wire/grpc-client.ts';
import { ServiceError } from '../service-error.ts';

export interface AskOptions {
  /** Give up on peers that have not answered by then. */
  readonly timeoutMs: number;
  /** Retry delays while a peer does not answer. */
  readonly backoff?: BackoffOptions;
  readonly logger: Logger;
}

/**
 * Each peer's self-description from GetValidatorInfo (reference §6.7), asked in parallel over one client per peer
 * and retried with backoff until `timeoutMs`; undefined for a peer that never answered. A peer that answers without
 * a 32-byte id and key fails the whole ask (ServiceError CONFIG).
 */
export async function askPeerIdentities(
  addresses: readonly string[],
  options: AskOptions,
): Promise<(CommitteeMember | undefined)[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const asks = addresses.map((address) =>
    askPeer(options, address, controller.signal).catch((error: unknown) => {
      controller.abort();
      throw error;
    }),
  );
  const settled = await Promise.allSettled(asks);
  clearTimeout(timer);
  return settled.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

async function askPeer(
  options: AskOptions,
  address: string,
  signal: AbortSignal,
): Promise<CommitteeMember | undefined> {
  const client = createClient(FastPaySidecar, address);
  const backoff = new Backoff(options.backoff);
  try {
    while (!signal.aborted) {
      let validator: { name: string; id: Uint8Array; pubkey: Uint8Array } | undefined;
      try {
        validator = (await client.getValidatorInfo({}, { signal, timeoutMs: 5_000 })).validator;
      } catch (error) {
        if (signal.aborted) break;
        const retryInMs = backoff.next();
        options.logger.info(
          { peer: address, reason: String(error), retryInMs },
          'waiting for peer validator info',
        );
        await pause(retryInMs, signal);
        continue;
      }
      return memberFromInfo(address, validator);
    }
    return undefined;
  } finally {
    client.close();
  }
}

/** A peer's `ValidatorId` as a member: the id is `id`, or `pubkey` when `id` is empty (reference §2.3). */
function memberFromInfo(
  address: string,
  validator: { name: string; id: Uint8Array; pubkey: Uint8Array } | undefined,
): CommitteeMember {
  const id = validator && (validator.id.length > 0 ? validator.id : validator.pubkey);
  if (!validator || id?.length !== 32 || validator.pubkey.length !== 32) {
    throw new ServiceError(
      'CONFIG',
      `peer ${address}: GetValidatorInfo has no 32-byte validator id and public key`,
    );
  }
  return { name: validator.name || address, id, publicKey: validator.pubkey, url: address };
}
