import type { MessageInitShape } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import type {
  FastPaySidecar,
  SubmitFastPayEventSchema,
  SubmitFastPayRequest,
  SubmitFastPayResponseSchema,
} from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { RejectCode, reject } from '../../protocol/reject.ts';
import { isTerminalStage, type LifecycleUpdate, WireStage } from '../../protocol/stage.ts';
import type { SubmitRequest } from '../../protocol/types.ts';
import { validatorCertificateToProto } from '../../wire/convert-certificate.ts';
import { lifecycleToProto } from '../../wire/convert-lifecycle.ts';
import { rejectToProto } from '../../wire/convert-reject.ts';
import { submitRequestFromProto } from '../../wire/convert-request.ts';
import { MAX_SUBMISSIONS_PER_BATCH } from '../../wire/grpc-limits.ts';
import type { CallContext, ServiceImpl } from '../../wire/grpc-server.ts';
import { WireError } from '../../wire/wire-error.ts';
import { boardQueryOf } from '../shared/board-query.ts';
import type { BulletinBoard } from '../shared/bulletin-board.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';
import type { SubmitOutcome } from './validator-core.ts';

type EventInit = MessageInitShape<typeof SubmitFastPayEventSchema>;
type ResponseInit = MessageInitShape<typeof SubmitFastPayResponseSchema>;

/** What the gRPC face of a sidecar needs from the node behind it. */
export interface SidecarDeps {
  readonly identity: { readonly name: string; readonly id: Uint8Array; readonly publicKey: Uint8Array };
  readonly peers: readonly string[];
  submit(request: SubmitRequest): Promise<SubmitOutcome>;
  readonly board: BulletinBoard;
  readonly lifecycle: LifecycleHub;
  head(): { height: bigint; hash: Uint8Array; timestampMs: bigint };
  /** True when the sidecar settles on chain: streams then follow a payment to its final stage. */
  readonly followsChain: boolean;
}

function lifecycleEvent(u: LifecycleUpdate): EventInit {
  return { event: { case: 'lifecycle', value: lifecycleToProto(u) } };
}

/** Later stages of a payment as an async iterable, until a terminal stage or the call ends. */
async function* laterStages(
  hub: LifecycleHub,
  txHash: Uint8Array,
  signal: AbortSignal,
): AsyncGenerator<LifecycleUpdate> {
  const queue: LifecycleUpdate[] = [...hub.history(txHash).filter((u) => u.stage > WireStage.CERTIFIED)];
  let wake: (() => void) | undefined;
  const unsubscribe = hub.subscribe(txHash, (u) => {
    queue.push(u);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted) {
      const next = queue.shift();
      if (next) {
        yield next;
        if (isTerminalStage(next.stage)) return;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * In-band answer to undecodable submit bytes: an INVALID_FORMAT reject like any other malformed submission
 * (reads keep the INVALID_ARGUMENT status).
 */
export function undecodableReject(method: string, reason: string) {
  const value = rejectToProto(reject(RejectCode.INVALID_FORMAT, `undecodable request: ${reason}`));
  if (method === 'submitFastPay') return { result: { case: 'reject' as const, value } };
  if (method === 'submitFastPayStream') return { event: { case: 'reject' as const, value } };
  return undefined;
}

/**
 * The `FastPaySidecar` gRPC service (reference §2.2, §6.6–§6.8). Bad input is answered in band (a reject) or with
 * INVALID_ARGUMENT; nothing a client sends can crash the process.
 */
export function sidecarService(deps: SidecarDeps): ServiceImpl<typeof FastPaySidecar> {
  const answer = async (req: SubmitFastPayRequest): Promise<ResponseInit> => {
    const outcome = await deps.submit(submitRequestFromProto(req));
    return 'cert' in outcome
      ? { result: { case: 'cert', value: validatorCertificateToProto(outcome.cert) } }
      : { result: { case: 'reject', value: rejectToProto(outcome.reject) } };
  };
  return {
    submitFastPay: answer,

    /**
     * Every payment of the batch goes to the validator at once, each decided on its own exactly as by
     * SubmitFastPay (so their durable writes share one group commit); the answers keep the requests' order.
     */
    async submitFastPayBatch(req) {
      if (req.requests.length > MAX_SUBMISSIONS_PER_BATCH) {
        throw new WireError(
          status.INVALID_ARGUMENT,
          `a batch holds at most ${MAX_SUBMISSIONS_PER_BATCH} payments, got ${req.requests.length}`,
        );
      }
      return { responses: await Promise.all(req.requests.map(answer)) };
    },

    async *submitFastPayStream(req, call: CallContext) {
      const outcome = await deps.submit(submitRequestFromProto(req));
      if ('reject' in outcome) {
        yield { event: { case: 'reject', value: rejectToProto(outcome.reject) } };
        return;
      }
      const { cert } = outcome;
      const stage = (s: WireStage): EventInit =>
        lifecycleEvent({
          txHash: cert.txHash,
          stage: s,
          unixMillis: cert.createdUnixMillis,
          blockHeight: deps.head().height,
        });
      yield stage(WireStage.ACCEPTED);
      yield { event: { case: 'cert', value: validatorCertificateToProto(cert) } };
      yield stage(WireStage.CERTIFIED);
      if (!deps.followsChain) return;
      for await (const update of laterStages(deps.lifecycle, cert.txHash, call.signal))
        yield lifecycleEvent(update);
    },

    async getBulletinBoard(req) {
      const page = deps.board.query(boardQueryOf(req));
      if (!page.ok) throw new WireError(status.INVALID_ARGUMENT, page.message);
      return { certs: page.certs.map(validatorCertificateToProto), nextCursor: page.nextCursor };
    },

    getValidatorInfo: async () => validatorInfo(deps.identity, deps.peers),

    async getChainHead() {
      const head = deps.head();
      return { blockHeight: head.height, blockHash: head.hash, unixMillis: head.timestampMs };
    },
  };
}

/** GetValidatorInfo's answer: this validator's name, id and key, and its peers verbatim (reference §6.7). */
function validatorInfo(identity: SidecarDeps['identity'], peers: readonly string[]) {
  const { name, id, publicKey } = identity;
  return { validator: { name, id, pubkey: publicKey }, gossipPeers: [...peers] };
}

/**
 * The service while the node starts: GetValidatorInfo answers at once (peers resolving the committee need it,
 * and they may be waiting on us likewise); everything else is UNAVAILABLE until the ledger is restored.
 */
export function startingSidecarService(
  identity: SidecarDeps['identity'],
  peers: readonly string[],
): ServiceImpl<typeof FastPaySidecar> {
  const starting = (): never => {
    throw new WireError(status.UNAVAILABLE, 'sidecar is starting');
  };
  return {
    submitFastPay: async () => starting(),
    submitFastPayBatch: async () => starting(),
    submitFastPayStream: () => ({
      [Symbol.asyncIterator]: () => ({ next: async () => starting() }),
    }),
    getBulletinBoard: async () => starting(),
    getValidatorInfo: async () => validatorInfo(identity, peers),
    getChainHead: async () => starting(),
  };
}
