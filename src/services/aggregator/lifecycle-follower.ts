import type { CommitteeMember } from '../../protocol/committee.ts';
import type { LifecycleUpdate } from '../../protocol/stage.ts';
import type { SubmitRequest } from '../../protocol/types.ts';
import { lifecycleFromProto } from '../../wire/convert-lifecycle.ts';
import { submitRequestToProto } from '../../wire/convert-request.ts';
import { Backoff, pause } from '../backoff.ts';
import type { Logger } from '../logger.ts';
import type { SidecarLink } from './sidecar-links.ts';

/**
 * Follows payments through every sidecar's SubmitFastPayStream (reference §6.8): the request is resubmitted, which
 * a sidecar answers idempotently, and its lifecycle updates are reported, the history first. A broken stream is
 * reopened with backoff until `stop(txHash)`. Each update is one sidecar's word: the caller decides what it counts for.
 */
export class LifecycleFollower {
  readonly #following = new Map<string, AbortController>();

  constructor(
    private readonly links: readonly SidecarLink[],
    private readonly onStage: (member: CommitteeMember, txHash: string, update: LifecycleUpdate) => void,
    private readonly logger: Logger,
  ) {}

  follow(txHash: string, request: SubmitRequest): void {
    if (this.#following.has(txHash)) return;
    const controller = new AbortController();
    this.#following.set(txHash, controller);
    for (const link of this.links) void this.#stream(link, txHash, request, controller.signal);
  }

  stop(txHash: string): void {
    this.#following.get(txHash)?.abort();
    this.#following.delete(txHash);
  }

  close(): void {
    for (const txHash of [...this.#following.keys()]) this.stop(txHash);
  }

  async #stream(
    link: SidecarLink,
    txHash: string,
    request: SubmitRequest,
    signal: AbortSignal,
  ): Promise<void> {
    const backoff = new Backoff({ initialMs: 250, maxMs: 5_000 });
    const message = submitRequestToProto(request);
    while (!signal.aborted) {
      try {
        for await (const { event } of link.client.submitFastPayStream(message, { signal })) {
          if (event.case !== 'lifecycle') continue;
          this.onStage(link.member, txHash, lifecycleFromProto(event.value));
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        const retryInMs = backoff.next();
        this.logger.debug(
          { txHash, validator: link.member.name, reason: String(error), retryInMs },
          'lifecycle stream broke',
        );
        await pause(retryInMs, signal);
      }
    }
  }
}
