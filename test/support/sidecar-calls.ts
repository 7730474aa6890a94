import type { FastPaySidecar, SubmitFastPayEvent } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { TxLifecycleUpdate } from '../../gen/tempo/fastpay/v1/types_pb.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { type Reject, RejectCode } from '../../src/protocol/reject.ts';
import { isTerminalStage } from '../../src/protocol/stage.ts';
import type { FastPayTx, QuorumCertificate, ValidatorCertificate } from '../../src/protocol/types.ts';
import { validatorCertificateFromProto } from '../../src/wire/convert-certificate.ts';
import { rejectFromProto } from '../../src/wire/convert-reject.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import type { ServiceClient } from '../../src/wire/grpc-client.ts';
import { suite } from './validator-harness.ts';

export type SidecarClient = ServiceClient<typeof FastPaySidecar>;
export type Answer = { readonly cert: ValidatorCertificate } | { readonly reject: Reject };

/** SubmitFastPay on one sidecar, retrying TEMPORARY_UNAVAILABLE (the head moved, a full queue) for a while. */
export async function submitTo(
  client: SidecarClient,
  tx: FastPayTx,
  parentQcs: readonly QuorumCertificate[] = [],
  attempts = 50,
  parentTxs: readonly FastPayTx[] = [],
): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const res = await client.submitFastPay(submitRequestToProto({ tx, parentQcs, parentTxs }), {
      timeoutMs: 15_000,
    });
    if (res.result.case === 'cert') return { cert: validatorCertificateFromProto(res.result.value) };
    if (res.result.case !== 'reject') throw new Error('empty SubmitFastPay result');
    const reject = rejectFromProto(res.result.value);
    if (reject.code !== RejectCode.TEMPORARY_UNAVAILABLE || attempt >= attempts) return { reject };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Submits to every sidecar in parallel; `qc` when 2f+1 of the certificates match. */
export async function certifyAll(
  clients: readonly SidecarClient[],
  committee: Committee,
  tx: FastPayTx,
  parentQcs: readonly QuorumCertificate[] = [],
  parentTxs: readonly FastPayTx[] = [],
): Promise<{ answers: Answer[]; qc?: QuorumCertificate }> {
  const answers = await Promise.all(clients.map((c) => submitTo(c, tx, parentQcs, 50, parentTxs)));
  const certs = answers.flatMap((a) => ('cert' in a ? [a.cert] : []));
  const qc = assembleQuorumCertificate(suite, committee, certs);
  return qc ? { answers, qc } : { answers };
}

/** SubmitFastPayStream: every lifecycle update until a terminal stage (the sidecar follows the chain). */
export async function followStages(
  client: SidecarClient,
  tx: FastPayTx,
  parentQcs: readonly QuorumCertificate[] = [],
  timeoutMs = 60_000,
): Promise<TxLifecycleUpdate[]> {
  const updates: TxLifecycleUpdate[] = [];
  const stream = client.submitFastPayStream(submitRequestToProto({ tx, parentQcs }), { timeoutMs });
  for await (const { event } of stream as AsyncIterable<SubmitFastPayEvent>) {
    if (event.case === 'reject') throw new Error(`rejected: ${rejectFromProto(event.value).message}`);
    if (event.case !== 'lifecycle') continue;
    updates.push(event.value);
    if (isTerminalStage(event.value.stage as number)) break;
  }
  return updates;
}
