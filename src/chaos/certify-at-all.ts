import type { Committee } from '../protocol/committee.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { assembleQuorumCertificate } from '../protocol/quorum.ts';
import { RejectCode } from '../protocol/reject.ts';
import type { FastPayTx, QuorumCertificate, SubmitRequest } from '../protocol/types.ts';
import type { SidecarTransport, SubmitAnswer } from '../wire/sidecar-transport.ts';

const suite = createNodeCryptoSuite();

/** SubmitFastPay at one sidecar, asking again while it answers TEMPORARY_UNAVAILABLE; undefined when unreachable. */
export async function submitRetrying(
  transport: SidecarTransport,
  request: SubmitRequest,
  attempts = 50,
  timeoutMs = 15_000,
): Promise<SubmitAnswer | undefined> {
  for (let attempt = 1; ; attempt++) {
    const answer = await transport.submit(request, { timeoutMs }).catch(() => undefined);
    const busy = answer && 'reject' in answer && answer.reject.code === RejectCode.TEMPORARY_UNAVAILABLE;
    if (!busy || attempt >= attempts) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Submits to every sidecar in parallel (each attempt within `timeoutMs`): every answer, the certificates counted, and the QC when 2f+1 match. */
export async function certifyAtAll(
  transports: readonly SidecarTransport[],
  committee: Committee,
  tx: FastPayTx,
  parentQcs: readonly QuorumCertificate[] = [],
  parentTxs: readonly FastPayTx[] = [],
  timeoutMs = 15_000,
): Promise<{ answers: (SubmitAnswer | undefined)[]; certs: number; qc?: QuorumCertificate }> {
  const answers = await Promise.all(
    transports.map((t) => submitRetrying(t, { tx, parentQcs, parentTxs }, 50, timeoutMs)),
  );
  const certs = answers.flatMap((a) => (a && 'cert' in a ? [a.cert] : []));
  const qc = assembleQuorumCertificate(suite, committee, certs);
  return { answers, certs: certs.length, ...(qc ? { qc } : {}) };
}
