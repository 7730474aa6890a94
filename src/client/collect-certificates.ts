import { setTimeout as sleep } from 'node:timers/promises';
import { bytesEqual, toHex } from '../protocol/bytes.ts';
import { certificateSigner, verifyCertificate } from '../protocol/certificate.ts';
import { type Committee, type CommitteeMember, quorumThreshold } from '../protocol/committee.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { assembleQuorumCertificate } from '../protocol/quorum.ts';
import { isTransientReject, RejectCode } from '../protocol/reject.ts';
import type { QuorumCertificate, SubmitRequest, ValidatorCertificate } from '../protocol/types.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';
import { TransportError } from '../wire/transport-error.ts';
import type { ClientEvent } from './client-event.ts';
import { backoffDelay, type RetryPolicy } from './retry-policy.ts';
import type { ValidatorAnswer, ValidatorReport } from './validator-answer.ts';

/** A committee member and the transport that reaches its sidecar. */
export interface CollectionTarget {
  readonly member: CommitteeMember;
  readonly transport: SidecarTransport;
}

/** One payment to certify: the request every validator gets and the hashes its certificates must carry. */
export interface CertificateCollection {
  readonly suite: CryptoSuite;
  readonly committee: Committee;
  /** Every committee member, in committee order. */
  readonly targets: readonly CollectionTarget[];
  readonly request: SubmitRequest;
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly seq: bigint;
  readonly policy: RetryPolicy;
  /** Aborted when the client closes: requests are cancelled and the collection ends as `closed`. */
  readonly signal: AbortSignal;
  readonly emit: (event: ClientEvent) => void;
}

export type CollectionResult =
  | { readonly kind: 'qc'; readonly qc: QuorumCertificate; readonly reports: readonly ValidatorReport[] }
  | { readonly kind: 'rejected' | 'timeout' | 'closed'; readonly reports: readonly ValidatorReport[] };

export interface RunningCollection {
  /** Settles as soon as the outcome is known, without waiting for slow validators. */
  readonly result: Promise<CollectionResult>;
  /** Every validator's last answer once every request has ended, late answers included. */
  readonly finished: Promise<readonly ValidatorReport[]>;
}

interface ValidatorState {
  readonly target: CollectionTarget;
  answer: ValidatorAnswer;
  final: boolean;
  inFlight: boolean;
}

/**
 * Submits the payment to every validator in parallel and collects certificates (reference §5.2, §10.3, with
 * ARCHITECTURE.md "Collect"): each certificate must be signed by the validator asked, name this tx and effects
 * and verify against the committee, or it is that validator's failure and never counted. The result is a QC as
 * soon as quorumThreshold certificates exist (assembleQuorumCertificate); `rejected` as soon as more than f
 * validators failed for good (a QC is impossible); `timeout` at the deadline. Each validator is retried with
 * backoff and jitter: TEMPORARY_UNAVAILABLE and transient transport failures until the deadline, other
 * transient rejects (isTransientReject) `policy.stateRetries` times. Requests in flight when the result settles
 * run on (each within its attempt timeout; their answers are reported as late events) but are not retried.
 */
export function collectCertificates(c: CertificateCollection): RunningCollection {
  const threshold = quorumThreshold(c.committee);
  const tolerated = c.committee.members.length - threshold;
  const states: ValidatorState[] = c.targets.map((target) => ({
    target,
    answer: { kind: 'none' },
    final: false,
    inFlight: false,
  }));
  /** Aborted when the result settles, also by the client closing (`onClose`). */
  const ended = new AbortController();
  let resolveResult!: (result: CollectionResult) => void;
  const result = new Promise<CollectionResult>((resolve) => {
    resolveResult = resolve;
  });

  const end = (
    outcome: { kind: 'rejected' | 'timeout' | 'closed' } | { kind: 'qc'; qc: QuorumCertificate },
  ) => {
    if (ended.signal.aborted) return;
    ended.abort();
    clearTimeout(timer);
    c.signal.removeEventListener('abort', onClose);
    resolveResult({ ...outcome, reports: states.map(reportOf) });
  };
  const onClose = () => end({ kind: 'closed' });
  const timer = setTimeout(() => end({ kind: 'timeout' }), c.policy.deadlineMs);
  c.signal.addEventListener('abort', onClose, { once: true });
  if (c.signal.aborted) onClose();

  const update = () => {
    if (ended.signal.aborted) return;
    const certs = states.flatMap((s) => (s.answer.kind === 'certificate' ? [s.answer.cert] : []));
    const qc = certs.length >= threshold && assembleQuorumCertificate(c.suite, c.committee, certs);
    if (qc) {
      c.emit({ type: 'qcFormed', txHash: c.txHash, seq: c.seq, qc });
      end({ kind: 'qc', qc });
    } else if (states.filter((s) => s.final && s.answer.kind !== 'certificate').length > tolerated) {
      end({ kind: 'rejected' });
    }
  };

  const deadline = performance.now() + c.policy.deadlineMs;
  const asking = states.map((s) => askUntilFinal(c, s, { deadline, ended: ended.signal, update }));
  return { result, finished: Promise.all(asking).then(() => states.map(reportOf)) };
}

function reportOf(s: ValidatorState): ValidatorReport {
  return { validator: s.target.member.name, answer: s.answer, final: s.final, inFlight: s.inFlight };
}

/** How an answer may be retried: not at all, until the deadline, or `stateRetries` times. */
function retryKind(answer: ValidatorAnswer): 'never' | 'untilDeadline' | 'stateRetries' {
  if (answer.kind === 'transportError') return answer.transient ? 'untilDeadline' : 'never';
  if (answer.kind !== 'reject') return 'never';
  if (answer.code === RejectCode.TEMPORARY_UNAVAILABLE) return 'untilDeadline';
  return isTransientReject(answer.code) ? 'stateRetries' : 'never';
}

async function askUntilFinal(
  c: CertificateCollection,
  s: ValidatorState,
  run: { deadline: number; ended: AbortSignal; update: () => void },
): Promise<void> {
  const validator = s.target.member.name;
  const { txHash } = c;
  let stateRetries = 0;
  for (let attempt = 1; ; attempt++) {
    const remaining = run.deadline - performance.now();
    if (run.ended.aborted || remaining <= 0) return;
    c.emit({ type: 'submitted', validator, txHash, seq: c.seq, attempt });
    s.inFlight = true;
    const answer = await attemptOnce(c, s.target, Math.min(c.policy.attemptTimeoutMs, remaining));
    s.inFlight = false;
    const late = run.ended.aborted;
    const kind = retryKind(answer);
    s.answer = answer;
    s.final = kind === 'never' || (kind === 'stateRetries' && stateRetries >= c.policy.stateRetries);
    if (kind === 'stateRetries') stateRetries++;
    const willRetry = !s.final && !late;
    if (answer.kind === 'certificate')
      c.emit({ type: 'certificate', validator, txHash, cert: answer.cert, late });
    else if (answer.kind === 'reject')
      c.emit({
        type: 'reject',
        validator,
        txHash,
        code: answer.code,
        message: answer.message,
        willRetry,
        late,
      });
    else if (answer.kind === 'invalidCertificate')
      c.emit({ type: 'invalidCertificate', validator, txHash, message: answer.message, late });
    else if (answer.kind === 'transportError')
      c.emit({ type: 'transportError', validator, txHash, message: answer.message, willRetry, late });
    run.update();
    if (!willRetry) return;
    await sleep(backoffDelay(c.policy, attempt - 1), undefined, { signal: run.ended }).catch(() => undefined);
  }
}

async function attemptOnce(
  c: CertificateCollection,
  target: CollectionTarget,
  timeoutMs: number,
): Promise<ValidatorAnswer> {
  try {
    const answer = await target.transport.submit(c.request, { timeoutMs, signal: c.signal });
    if ('reject' in answer)
      return { kind: 'reject', code: answer.reject.code, message: answer.reject.message };
    const problem = certificateProblem(c, target.member, answer.cert);
    return problem
      ? { kind: 'invalidCertificate', message: problem }
      : { kind: 'certificate', cert: answer.cert };
  } catch (error) {
    return error instanceof TransportError
      ? { kind: 'transportError', message: error.message, transient: error.transient }
      : {
          kind: 'transportError',
          message: error instanceof Error ? error.message : String(error),
          transient: false,
        };
  }
}

/** Why `cert` cannot count as `member`'s certificate of this payment, or undefined when it can. */
function certificateProblem(
  c: CertificateCollection,
  member: CommitteeMember,
  cert: ValidatorCertificate,
): string | undefined {
  const signer = certificateSigner(cert);
  if (!signer || !bytesEqual(signer, member.id)) {
    return `signed by ${signer ? toHex(signer) : 'no valid signer id'}, not by ${member.name}`;
  }
  if (!bytesEqual(cert.txHash, c.txHash)) return `certifies tx ${toHex(cert.txHash)}, not this payment`;
  if (!bytesEqual(cert.effectsHash, c.effectsHash)) return 'certifies other effects than this payment';
  return verifyCertificate(c.suite, c.committee, cert);
}
