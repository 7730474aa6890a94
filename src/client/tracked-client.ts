import type { ActorSystem } from '../actors/actor-system.ts';
import { toHex } from '../protocol/bytes.ts';
import { AllegroClient, type AllegroClientOptions } from './allegro-client.ts';
import { clientEventToPaymentEvent } from './client-event-to-payment-event.ts';

/** A tracked payer client's options; the actor system provides the committee and the transports. */
export type TrackedClientOptions = Omit<AllegroClientOptions, 'committee' | 'transports'>;

/**
 * A payer client whose payments are submitted through the actor system's sidecar proxies (so each is tracked
 * from its first request) and whose certificates, refusals and QC are delivered to the payment actors. The
 * caller closes it, before stopping the system.
 */
export function trackedClient(system: ActorSystem, options: TrackedClientOptions): AllegroClient {
  return new AllegroClient({
    ...options,
    committee: system.committee,
    transports: system.transports(),
    onEvent: (event) => {
      const height = system.head()?.height ?? 0n;
      const payment = clientEventToPaymentEvent(event, system.committee, height, system.now());
      if (payment) system.deliver(toHex(event.txHash), payment);
      options.onEvent?.(event);
    },
  });
}
