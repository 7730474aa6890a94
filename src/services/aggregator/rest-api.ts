import type { IncomingMessage, ServerResponse } from 'node:http';
import { ByteFormatError, fromHex, toHex } from '../../protocol/bytes.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { type Reject, RejectCode, rejectCodeName } from '../../protocol/reject.ts';
import { readJsonBody, sendJson } from '../http/json-body.ts';
import { sendJsonError, sendMethodNotAllowed } from '../http/json-error.ts';
import type { Aggregator, ValidatorRejection } from './aggregator.ts';
import type { AggregatorMetrics } from './aggregator-metrics.ts';
import type { PaymentNode } from './api-nodes.ts';
import { referenceStage } from './reference-stage.ts';
import { defaultExpiry, signedPaymentRequest } from './signed-payment-request.ts';

/** Largest request body: a 128 KiB signed tx in hex plus the wrapper fields. */
const MAX_BODY_BYTES = 300 * 1024;

const STATUS_OF: Partial<Record<RejectCode, number>> = {
  [RejectCode.NONCE_SEQ_TOO_LOW]: 409,
  [RejectCode.NONCE_SEQ_TOO_HIGH]: 409,
  [RejectCode.EQUIVOCATION]: 409,
  [RejectCode.EXPIRED]: 422,
  [RejectCode.INSUFFICIENT_FUNDS]: 422,
  [RejectCode.MISSING_PARENT_QC]: 422,
  [RejectCode.INVALID_PARENT_QC]: 422,
  [RejectCode.TEMPORARY_UNAVAILABLE]: 503,
};

export interface RestOptions {
  /** Answer the reference's stage names unless a request asks `?compat=allegro`. */
  readonly referenceStages: boolean;
}

/** The header a client may send instead of the `compat` query parameter. */
export const COMPAT_HEADER = 'x-allegro-compat';

/**
 * The reference's REST API for existing clients (reference §9.4), made honest (§14): `submit-raw-tx` takes
 * `{signed_tx}` plus optional wrapper fields (a tx without validBefore and no stated expiry gets the reference's
 * 10-minute window) and answers 200 only with a QC; refusals come back as
 * `{"reject": {"code", "message"}, "rejects": [...]}` with a 4xx (503 when only temporary). u64s are decimal
 * strings. Stages are Allegro's unless the request says `?compat=reference` (or the `x-allegro-compat: reference`
 * header) or the aggregator runs with `--reference-stages`: then they are the reference's six names and an unknown
 * tx is 200 STAGE_UNSPECIFIED, as the reference answers. A known path with another method is 405. Answers
 * `/api/v1/…` and returns false for anything else.
 */
export function restApi(
  aggregator: Aggregator,
  suite: CryptoSuite,
  metrics: AggregatorMetrics,
  options: RestOptions = { referenceStages: false },
) {
  const counted = (operation: string) => metrics.requests.inc({ api: 'rest', operation });
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://aggregator');
    const path = url.pathname;
    const allow = allowedMethods(path);
    if (!allow) return false;
    if (!allow.includes(req.method ?? '')) {
      sendMethodNotAllowed(res, req.method, allow);
      return true;
    }
    const compat = url.searchParams.get('compat') ?? req.headers[COMPAT_HEADER];
    const reference = compat === undefined ? options.referenceStages : compat === 'reference';
    const view = (payment: PaymentNode) => statusBody(payment, aggregator, reference);
    if (path === '/api/v1/submit-raw-tx') {
      counted('submit-raw-tx');
      await submitRawTx(aggregator, suite, req, res, view);
      return true;
    }
    if (path === '/api/v1/demo/chained-flow') {
      sendJsonError(
        res,
        501,
        'NOT_IMPLEMENTED',
        'the server-side chained demo holds no payer keys here: run `allegro demo`, or submit signed txs',
      );
      return true;
    }
    if (path === '/api/v1/chain/head') {
      counted('chain-head');
      const head = aggregator.head();
      if (!head) sendJson(res, 503, error('UNAVAILABLE', 'no chain head known yet'));
      else {
        sendJson(res, 200, {
          block_height: head.height.toString(),
          block_hash: toHex(head.hash),
          unix_millis: head.timestampMs.toString(),
        });
      }
      return true;
    }
    counted('tx-status');
    let txHash: string;
    try {
      txHash = toHex(fromHex(decodeURIComponent(TX_STATUS.exec(path)![1]!), 32));
    } catch (e) {
      if (!(e instanceof ByteFormatError) && !(e instanceof URIError)) throw e;
      sendJson(res, 400, error('INVALID_TX_HASH', `invalid tx_hash: ${(e as Error).message}`));
      return true;
    }
    const payment = await aggregator.lookup(txHash);
    if (payment) sendJson(res, 200, view(payment));
    else if (reference) sendJson(res, 200, unknownTxReferenceBody(txHash, aggregator));
    else sendJson(res, 404, error('NOT_FOUND', `no payment ${txHash} is known`));
    return true;
  };
}

const TX_STATUS = /^\/api\/v1\/tx\/([^/]+)\/status$/;

/** The methods of a known REST path, or undefined for a path this API does not serve. */
function allowedMethods(path: string): string[] | undefined {
  if (path === '/api/v1/submit-raw-tx' || path === '/api/v1/demo/chained-flow') return ['POST'];
  if (path === '/api/v1/chain/head' || TX_STATUS.test(path)) return ['GET', 'HEAD'];
  return undefined;
}

async function submitRawTx(
  aggregator: Aggregator,
  suite: CryptoSuite,
  req: IncomingMessage,
  res: ServerResponse,
  view: (payment: PaymentNode) => ReturnType<typeof statusBody>,
): Promise<void> {
  const body = await readJsonBody(req, MAX_BODY_BYTES);
  if (!body.ok) {
    res.setHeader('connection', 'close');
    sendJson(res, body.status, error(body.status === 413 ? 'TOO_LARGE' : 'INVALID_JSON', body.message));
    return;
  }
  const input = parseInput(body.value);
  if (!input.ok) {
    sendJson(res, 400, rejectBody(input.reject));
    return;
  }
  const built = signedPaymentRequest(suite, {
    ...input.value,
    defaultExpiryUnixMillis: defaultExpiry(BigInt(Date.now())),
  });
  if (!built.ok) {
    sendJson(res, 400, rejectBody(built.reject));
    return;
  }
  const outcome = await aggregator.submit(built.request);
  if (!outcome.ok) {
    sendJson(res, STATUS_OF[outcome.reject.code] ?? 400, rejectBody(outcome.reject));
    return;
  }
  const { payment, qc, rejections } = outcome.submission;
  const base = { ...view(payment), rejects: rejections.map(rejectionJson) };
  if (qc) {
    sendJson(res, 200, base);
    return;
  }
  const main = mainReject(rejections);
  sendJson(res, STATUS_OF[main.code] ?? 400, { ...rejectBody(main), ...base });
}

type Parsed<T> = { ok: true; value: T } | { ok: false; reject: Reject };

/** The JSON body: `signed_tx` hex (0x optional) and the optional wrapper fields. */
function parseInput(value: unknown): Parsed<Parameters<typeof signedPaymentRequest>[1]> {
  const invalid = (message: string): Parsed<never> => ({
    ok: false,
    reject: { code: RejectCode.INVALID_FORMAT, message },
  });
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid('body must be an object');
  const v = value as Record<string, unknown>;
  const hex = (field: string, length?: number): Uint8Array | undefined => {
    const raw = v[field];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string') throw new ByteFormatError(`${field} must be a hex string`);
    try {
      return fromHex(raw, length);
    } catch (e) {
      throw new ByteFormatError(`invalid ${field}: ${(e as Error).message}`);
    }
  };
  const u64 = (field: string): bigint | undefined => {
    const raw = v[field];
    if (raw === undefined || raw === null) return undefined;
    if (typeof raw !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(raw) || BigInt(raw) >= 2n ** 64n) {
      throw new ByteFormatError(`${field} must be a u64 as a decimal string`);
    }
    return BigInt(raw);
  };
  try {
    const signedTx = hex('signed_tx');
    if (!signedTx) return invalid('signed_tx is required');
    const nonceKey = hex('nonce_key', 32);
    const sequence = u64('sequence');
    const expiryUnixMillis = u64('expiry_unix_millis');
    const parentQcHash = hex('parent_qc_hash', 32);
    const clientRequestId = v.client_request_id;
    if (clientRequestId !== undefined && typeof clientRequestId !== 'string') {
      return invalid('client_request_id must be a string');
    }
    return {
      ok: true,
      value: {
        signedTx,
        ...(nonceKey ? { nonceKey } : {}),
        ...(sequence !== undefined ? { sequence } : {}),
        ...(expiryUnixMillis !== undefined ? { expiryUnixMillis } : {}),
        ...(parentQcHash ? { parentQcHash } : {}),
        ...(clientRequestId ? { clientRequestId } : {}),
      },
    };
  } catch (e) {
    if (e instanceof ByteFormatError) return invalid(e.message);
    throw e;
  }
}

/** The refusal that speaks for a failed submission: the most common permanent one, else the most common. */
function mainReject(rejections: readonly ValidatorRejection[]): Reject {
  const pool = rejections.some((r) => r.permanent) ? rejections.filter((r) => r.permanent) : rejections;
  const counts = new Map<RejectCode, number>();
  for (const r of pool) counts.set(r.reject.code, (counts.get(r.reject.code) ?? 0) + 1);
  const [code] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [RejectCode.TEMPORARY_UNAVAILABLE];
  const first = pool.find((r) => r.reject.code === code);
  return first?.reject ?? { code, message: 'no quorum of certificates before the deadline' };
}

function statusBody(payment: PaymentNode, aggregator: Aggregator, reference: boolean) {
  return {
    tx_hash: payment.txHash,
    stage: reference ? referenceStage(payment.stage) : payment.stage,
    guarantee: payment.guarantee,
    cert_count: payment.certificates.length,
    qc_formed: payment.qcHash !== null,
    ...(payment.qcHash ? { qc_hash: payment.qcHash } : {}),
    ...(payment.inclusion
      ? { block_number: payment.inclusion.blockNumber, block_hash: payment.inclusion.blockHash }
      : {}),
    ...(payment.failure ? { failure: payment.failure } : {}),
    observed_block_height: (aggregator.head()?.height ?? 0n).toString(),
  };
}

/** The reference's answer for a tx it has no certificates of. */
function unknownTxReferenceBody(txHash: string, aggregator: Aggregator) {
  return {
    tx_hash: txHash,
    stage: 'STAGE_UNSPECIFIED',
    cert_count: 0,
    qc_formed: false,
    observed_block_height: (aggregator.head()?.height ?? 0n).toString(),
  };
}

function rejectionJson(r: ValidatorRejection) {
  return {
    validator: r.member.name,
    validator_id: toHex(r.member.id),
    code: rejectCodeName(r.reject.code),
    message: r.reject.message,
    permanent: r.permanent,
  };
}

function rejectBody(r: Reject) {
  return { reject: { code: rejectCodeName(r.code), message: r.message } };
}

function error(code: string, message: string) {
  return { error: { code, message } };
}
