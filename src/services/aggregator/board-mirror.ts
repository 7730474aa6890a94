import type { MessageInitShape } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import type { GetBulletinBoardRequestSchema } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ValidatorCertificate } from '../../protocol/types.ts';
import { pause } from '../../util/backoff.ts';
import type { Logger } from '../../util/logger.ts';
import { validatorCertificateFromProto } from '../../wire/convert-certificate.ts';
import { WireError } from '../../wire/wire-error.ts';
import type { SidecarLink } from '../shared/sidecar-links.ts';

type BoardRequest = MessageInitShape<typeof GetBulletinBoardRequestSchema>;

export interface BoardMirrorOptions {
  /** Takes in one certificate; resolves once it is applied. */
  readonly ingest: (cert: ValidatorCertificate) => Promise<unknown>;
  readonly links: readonly SidecarLink[];
  /** Pause between rounds; 0 turns mirroring off (boards are then read only on demand). */
  readonly intervalMs: number;
  /** Certificates per page. */
  readonly pageSize: number;
  /** Deadline of one call to one sidecar. */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/**
 * Mirrors every sidecar's bulletin board into the aggregator (reference §9.3 GetBulletinBoard, made incremental):
 * each round pages from the sidecar's last `next_cursor`, so every certificate is read once; a refused cursor (the
 * sidecar restarted) restarts from the first page, and each sidecar is read in its own loop. Certificates go to
 * `ingest`, which verifies them.
 */
export class BoardMirror {
  readonly #o: BoardMirrorOptions;
  readonly #cursors = new Map<string, string>();
  readonly #stopping = new AbortController();
  #loops: Promise<void>[] = [];

  constructor(options: BoardMirrorOptions) {
    this.#o = options;
  }

  /** One loop per sidecar: a slow or unreachable one delays only its own rounds, never the others'. */
  start(): void {
    if (this.#o.intervalMs <= 0) return;
    this.#loops = this.#o.links.map(async (link) => {
      while (!this.#stopping.signal.aborted) {
        await this.#drain(link);
        await pause(this.#o.intervalMs, this.#stopping.signal);
      }
    });
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await Promise.all(this.#loops);
  }

  /**
   * Reads one filtered page from every sidecar now and ingests it (on-demand reads: a status query for a payment
   * not seen yet). Returns how many sidecars answered.
   */
  async refresh(filter: BoardRequest): Promise<number> {
    const answers = await Promise.all(
      this.#o.links.map((link) =>
        this.#page(link, { ...filter, limit: filter.limit || this.#o.pageSize }).then(
          () => true,
          () => false,
        ),
      ),
    );
    return answers.filter(Boolean).length;
  }

  async #drain(link: SidecarLink): Promise<void> {
    for (;;) {
      if (this.#stopping.signal.aborted) return;
      const cursor = this.#cursors.get(link.url) ?? '';
      try {
        const next = await this.#page(link, { cursor, limit: this.#o.pageSize });
        if (next === '') return;
        this.#cursors.set(link.url, next);
      } catch (error) {
        if (error instanceof WireError && error.code === status.INVALID_ARGUMENT && cursor !== '') {
          this.#cursors.delete(link.url);
          continue;
        }
        this.#o.logger.debug({ validator: link.member.name, reason: String(error) }, 'board pull failed');
        return;
      }
    }
  }

  /** Ingests one page; resolves with its `next_cursor` ('' when it was empty). */
  async #page(link: SidecarLink, request: BoardRequest): Promise<string> {
    const page = await link.client.getBulletinBoard(request, {
      timeoutMs: this.#o.timeoutMs,
      signal: this.#stopping.signal,
    });
    for (const cert of page.certs) await this.#o.ingest(validatorCertificateFromProto(cert));
    return page.certs.length === 0 ? '' : page.nextCursor;
  }
}
