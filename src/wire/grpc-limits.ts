import type { ServerOptions } from '@grpc/grpc-js';
import { MAX_TEMPO_TX_BYTES } from '../protocol/tempo/decode-tempo-tx.ts';
import type { SubmitRequest } from '../protocol/types.ts';
import { MAX_PARENT_QCS } from '../protocol/validation/parent-credit.ts';

/** Wrapper fields of a FastPayTx around its signed tx (ids, intent, overlay, nonce, expiry, 128-char request id). */
const FASTPAY_TX_OVERHEAD_BYTES = 1024;

/** The largest committee the message bound is sized for. */
export const MAX_COMMITTEE_MEMBERS = 128;

/** One certificate: signer (64-byte name, id, key), hashes, effects, Ed25519 and settlement signatures, framing. */
const CERTIFICATE_BYTES = 512;

/** A QC's own fields (tx, effects and qc hashes, threshold) and framing. */
const QC_OVERHEAD_BYTES = 256;

/** Largest FastPayTx: a MAX_TEMPO_TX_BYTES signed tx plus its wrapper. */
export const MAX_FASTPAY_TX_BYTES = MAX_TEMPO_TX_BYTES + FASTPAY_TX_OVERHEAD_BYTES;

/** Largest QC: one certificate per member of the largest committee. */
export const MAX_QC_BYTES = QC_OVERHEAD_BYTES + MAX_COMMITTEE_MEMBERS * CERTIFICATE_BYTES;

/**
 * Largest gRPC message a server accepts: a payment with its parents, i.e. one FastPayTx, MAX_PARENT_QCS parent QCs
 * and as many parent FastPayTx (~1.6 MiB), rounded up to whole MiB: 2 MiB. grpc-js accepts 4 MiB by default, and
 * a hundred such calls in parallel took a sidecar to ~700 MB; anything larger than a payment is refused with
 * RESOURCE_EXHAUSTED before it is decoded.
 */
export const MAX_GRPC_MESSAGE_BYTES = roundUpToMiB(
  (1 + MAX_PARENT_QCS) * MAX_FASTPAY_TX_BYTES + MAX_PARENT_QCS * MAX_QC_BYTES,
);

/**
 * Payments in one SubmitFastPayBatch call at most; a larger batch is INVALID_ARGUMENT. Together with the message
 * bound it keeps one call's work (and its answer) small; a client splits larger sets.
 */
export const MAX_SUBMISSIONS_PER_BATCH = 256;

/** A SubmitFastPayBatch's bytes at most, as a client packs it: the message bound less room for framing. */
export const MAX_BATCH_BYTES = MAX_GRPC_MESSAGE_BYTES - 64 * 1024;

/** An upper bound of a submission's encoded size, from the same per-field bounds as the message bound. */
export function submissionBytesBound(request: SubmitRequest): number {
  const tx = (t: SubmitRequest['tx']) => (t?.tempoTx?.length ?? 0) + FASTPAY_TX_OVERHEAD_BYTES;
  let bytes = tx(request.tx);
  for (const qc of request.parentQcs) bytes += QC_OVERHEAD_BYTES + qc.certs.length * CERTIFICATE_BYTES;
  for (const parent of request.parentTxs ?? []) bytes += tx(parent);
  return bytes;
}

/** Calls one peer address may have in progress at once, by default (`--max-calls-per-peer`). */
export const DEFAULT_MAX_CALLS_PER_PEER = 256;

/** The grpc-js server options of every Allegro gRPC server: the message size bound. */
export function grpcServerOptions(): ServerOptions {
  return { 'grpc.max_receive_message_length': MAX_GRPC_MESSAGE_BYTES };
}

function roundUpToMiB(bytes: number): number {
  const mib = 1024 * 1024;
  return Math.ceil(bytes / mib) * mib;
}

/**
 * Counts calls in progress per peer host (the port is ignored: one client may open many connections) and refuses
 * a call beyond `max`. A server-streaming call counts until its first message: a following stream is long-lived
 * by design (the aggregator follows each payment through one per sidecar), its work is done once it answered.
 */
export class PeerCallLimiter {
  readonly #inProgress = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes a slot for `peer` (grpc-js `call.getPeer()`), or returns undefined when its calls are at `max`. */
  acquire(peer: string): (() => void) | undefined {
    const host = peerHost(peer);
    const count = this.#inProgress.get(host) ?? 0;
    if (count >= this.max) return undefined;
    this.#inProgress.set(host, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inProgress.get(host) ?? 1) - 1;
      if (left === 0) this.#inProgress.delete(host);
      else this.#inProgress.set(host, left);
    };
  }
}

/** `ipv4:127.0.0.1:53412` → `127.0.0.1`, `ipv6:[::1]:53412` → `::1`; anything else as is. */
export function peerHost(peer: string): string {
  const address = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1]!;
  const hostPort = /^([^:]+):\d+$/.exec(address);
  return hostPort ? hostPort[1]! : address;
}
