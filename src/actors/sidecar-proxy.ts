import { setTimeout as sleep } from 'node:timers/promises';
import { type ActorRefFrom, fromCallback } from 'xstate';
import type { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { toHex } from '../protocol/bytes.ts';
import { isTerminalStage } from '../protocol/stage.ts';
import type { SubmitRequest } from '../protocol/types.ts';
import { Backoff, type BackoffOptions } from '../util/backoff.ts';
import { validatorCertificateFromProto } from '../wire/convert-certificate.ts';
import { lifecycleFromProto } from '../wire/convert-lifecycle.ts';
import { rejectFromProto } from '../wire/convert-reject.ts';
import { submitRequestToProto } from '../wire/convert-request.ts';
import type { ServiceClient } from '../wire/grpc-client.ts';
import { transportError } from '../wire/grpc-transport.ts';
import type { SidecarTransport, SubmitAnswer } from '../wire/sidecar-transport.ts';
import { TransportError } from '../wire/transport-error.ts';
import type { PaymentEvent } from './payment-events.ts';
import { lifecycleToPaymentEvent } from './to-payment-event.ts';

/** What a sidecar proxy is asked to do. */
export type SidecarProxyEvent =
  /** Submit for the payer client: `reply` gets the first answer (or a TransportError); the stream then follows. */
  | {
      readonly type: 'SUBMIT';
      readonly request: SubmitRequest;
      readonly timeoutMs: number;
      readonly signal?: AbortSignal;
      readonly reply: (answer: SubmitAnswer | TransportError) => void;
    }
  /** Follow a payment submitted earlier (after a restart): resubmitting is idempotent for a certified payment. */
  | { readonly type: 'WATCH'; readonly txHash: string; readonly request: SubmitRequest }
  /** Stop following a payment (it reached a final stage). */
  | { readonly type: 'UNWATCH'; readonly txHash: string };

export interface SidecarProxyDeps {
  /** The validator's gRPC client: ONE channel, every stream of this proxy shares it. */
  readonly client: ServiceClient<typeof FastPaySidecar>;
  /** Called with every submitted request before it leaves, so the payment is tracked before any answer. */
  readonly onSubmit: (request: SubmitRequest) => void;
  /** The validator's id (0x-hex): its settlement stages are delivered as its reports (votes). */
  readonly validatorId: string;
  /** A settlement stage the sidecar reported for the payment `txHash` (0x-hex). */
  readonly deliver: (txHash: string, event: PaymentEvent) => void;
  readonly now: () => number;
  /** Reconnect delays of a followed stream that failed (full jitter); default caps 250 ms doubling to 10 s. */
  readonly backoff?: BackoffOptions;
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000 };

/**
 * One validator's sidecar as an actor: submits over SubmitFastPayStream (one stream per payment on the proxy's
 * single channel), answers the payer client with the sidecar's certificate or reject, and keeps reading the same
 * stream for the settlement stages (QUEUED_ONCHAIN, INCLUDED, FINALIZED, FAILED, EXPIRED), which go to `deliver`
 * as this validator's reports (the payment moves on f+1 agreeing reports).
 * A followed stream that breaks (the sidecar restarted, the network dropped) is reopened with backoff until the
 * payment reaches a terminal stage or is unwatched. Input names the validator for the inspector.
 */
export function sidecarProxyLogic(deps: SidecarProxyDeps) {
  return fromCallback<SidecarProxyEvent, { readonly validator: string; readonly url: string }>(
    ({ receive }) => {
      const proxy = new SidecarProxy(deps);
      receive((event) => proxy.handle(event));
      return () => proxy.stop();
    },
  );
}

export type SidecarProxyRef = ActorRefFrom<ReturnType<typeof sidecarProxyLogic>>;

/** The payer client's transport to a validator, through its proxy actor (whose channel the system owns). */
export function proxyTransport(proxy: SidecarProxyRef): SidecarTransport {
  return {
    submit: (request, { timeoutMs, signal }) =>
      new Promise((resolve, reject) => {
        if (proxy.getSnapshot().status !== 'active') {
          reject(new TransportError('the sidecar proxy is stopped', { transient: false }));
          return;
        }
        proxy.send({
          type: 'SUBMIT',
          request,
          timeoutMs,
          ...(signal ? { signal } : {}),
          reply: (answer) => (answer instanceof TransportError ? reject(answer) : resolve(answer)),
        });
      }),
    close: () => undefined,
  };
}

class SidecarProxy {
  /** The stream (or reconnect loop) following each payment; at most one per payment. */
  readonly #following = new Map<string, AbortController>();
  /** Every stream still open, to cancel on stop. */
  readonly #open = new Set<AbortController>();
  readonly #backoff: BackoffOptions;
  #stopped = false;

  constructor(private readonly deps: SidecarProxyDeps) {
    this.#backoff = deps.backoff ?? DEFAULT_BACKOFF;
  }

  handle(event: SidecarProxyEvent): void {
    if (this.#stopped) {
      if (event.type === 'SUBMIT')
        event.reply(new TransportError('the sidecar proxy is stopped', { transient: false }));
      return;
    }
    if (event.type === 'SUBMIT') this.#submit(event);
    else if (event.type === 'WATCH') this.#watch(event.txHash, event.request);
    else {
      this.#following.get(event.txHash)?.abort();
      this.#following.delete(event.txHash);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const controller of this.#open) controller.abort();
    for (const controller of this.#following.values()) controller.abort();
    this.#following.clear();
  }

  #submit(event: Extract<SidecarProxyEvent, { type: 'SUBMIT' }>): void {
    this.deps.onSubmit(event.request);
    const controller = new AbortController();
    let answered = false;
    let txHash: string | undefined;
    const reply = (answer: SubmitAnswer | TransportError) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      event.signal?.removeEventListener('abort', cancel);
      event.reply(answer);
    };
    const cancel = () => {
      reply(
        new TransportError('CANCELLED: the payer cancelled the call', {
          transient: false,
          status: 'CANCELLED',
        }),
      );
      controller.abort();
    };
    const timer = setTimeout(() => {
      reply(
        new TransportError('DEADLINE_EXCEEDED: no answer in time', {
          transient: true,
          status: 'DEADLINE_EXCEEDED',
        }),
      );
      controller.abort();
    }, event.timeoutMs);
    if (event.signal?.aborted) {
      cancel();
      return;
    }
    event.signal?.addEventListener('abort', cancel, { once: true });

    const onAnswer = (answer: SubmitAnswer) => {
      reply(answer);
      if (!('cert' in answer) || controller.signal.aborted) return false;
      txHash = toHex(answer.cert.txHash);
      if (this.#following.has(txHash)) return false;
      this.#following.set(txHash, controller);
      return true;
    };
    void this.#read(event.request, controller, onAnswer).then(
      () => this.#unfollow(txHash, controller),
      (error: unknown) => {
        if (!answered) reply(transportError(error));
        else if (txHash && this.#following.get(txHash) === controller && !controller.signal.aborted)
          void this.#follow(txHash, event.request, controller);
      },
    );
  }

  #watch(txHash: string, request: SubmitRequest): void {
    if (this.#following.has(txHash)) return;
    const controller = new AbortController();
    this.#following.set(txHash, controller);
    void this.#follow(txHash, request, controller, false);
  }

  /** Reopens the payment's stream after a failure, with backoff, until it ends or `controller` aborts. */
  async #follow(txHash: string, request: SubmitRequest, controller: AbortController, pauseFirst = true) {
    const backoff = new Backoff(this.#backoff);
    for (let first = true; !controller.signal.aborted; first = false) {
      if (pauseFirst || !first) {
        await sleep(backoff.next(), undefined, { signal: controller.signal }).catch(() => undefined);
        if (controller.signal.aborted) break;
      }
      try {
        await this.#read(request, controller, (answer) => 'cert' in answer);
        break;
      } catch {
        // The sidecar is unreachable or the stream broke: try again after the backoff.
      }
    }
    this.#unfollow(txHash, controller);
  }

  #unfollow(txHash: string | undefined, controller: AbortController): void {
    if (txHash && this.#following.get(txHash) === controller) this.#following.delete(txHash);
  }

  /**
   * Reads one SubmitFastPayStream: its certificate or reject goes to `onAnswer` (false ends the read), then every
   * settlement stage to `deliver`, until a terminal stage or the end of the stream. Throws WireError on failure.
   */
  async #read(
    request: SubmitRequest,
    controller: AbortController,
    onAnswer: (answer: SubmitAnswer) => boolean,
  ): Promise<void> {
    this.#open.add(controller);
    try {
      const stream = this.deps.client.submitFastPayStream(submitRequestToProto(request), {
        signal: controller.signal,
      });
      for await (const { event } of stream) {
        if (event.case === 'reject') {
          onAnswer({ reject: rejectFromProto(event.value) });
          return;
        }
        if (event.case === 'cert') {
          if (!onAnswer({ cert: validatorCertificateFromProto(event.value) })) return;
        } else if (event.case === 'lifecycle') {
          const update = lifecycleFromProto(event.value);
          const payment = lifecycleToPaymentEvent(update, this.deps.now(), this.deps.validatorId);
          if (payment) this.deps.deliver(toHex(update.txHash), payment);
          if (isTerminalStage(update.stage)) return;
        }
      }
    } finally {
      this.#open.delete(controller);
    }
  }
}
