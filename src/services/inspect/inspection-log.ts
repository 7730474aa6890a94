/** Inspected actors kept at most, and events kept per actor; the oldest go first. */
const MAX_ACTORS = 1000;
const MAX_EVENTS = 200;

/** One event an actor received, as the inspector reported it. */
export interface LoggedEvent {
  readonly type: string;
  /** The sender's session id, when the event came from another actor. */
  readonly sourceId: string | undefined;
  /** The inspector's timestamp. */
  readonly createdAt: string;
  readonly event: unknown;
}

/** An actor as the receiver knows it: who it is, its latest snapshot and its latest events. */
export interface InspectedActor {
  readonly sessionId: string;
  readonly name: string;
  readonly parentId: string | undefined;
  readonly rootId: string | undefined;
  readonly snapshot: unknown;
  readonly events: readonly LoggedEvent[];
  readonly updatedAt: string;
}

/**
 * What an inspector told (@statelyai/inspect's `@xstate.actor`, `@xstate.event` and `@xstate.snapshot` JSON
 * messages), bounded: an actor's snapshot is its latest, its events the last MAX_EVENTS; anything else is ignored.
 */
export class InspectionLog {
  readonly #actors = new Map<string, InspectedActor>();

  /** Takes one message; returns whether it changed what is known. */
  take(message: unknown): boolean {
    if (typeof message !== 'object' || message === null) return false;
    const m = message as Record<string, unknown>;
    const sessionId = typeof m.sessionId === 'string' ? m.sessionId : undefined;
    if (!sessionId) return false;
    const createdAt = typeof m.createdAt === 'string' ? m.createdAt : '';
    const known = this.#actors.get(sessionId);
    const actor: InspectedActor = known ?? {
      sessionId,
      name: typeof m.name === 'string' ? m.name : sessionId,
      parentId: typeof m.parentId === 'string' ? m.parentId : undefined,
      rootId: typeof m.rootId === 'string' ? m.rootId : undefined,
      snapshot: undefined,
      events: [],
      updatedAt: createdAt,
    };
    if (m.type === '@xstate.actor' || m.type === '@xstate.snapshot') {
      this.#put({ ...actor, snapshot: m.snapshot, updatedAt: createdAt });
      return true;
    }
    if (m.type === '@xstate.event') {
      const event = m.event as { type?: unknown } | undefined;
      const logged: LoggedEvent = {
        type: typeof event?.type === 'string' ? event.type : '?',
        sourceId: typeof m.sourceId === 'string' ? m.sourceId : undefined,
        createdAt,
        event,
      };
      this.#put({ ...actor, events: [...actor.events, logged].slice(-MAX_EVENTS), updatedAt: createdAt });
      return true;
    }
    return false;
  }

  /** Every actor, in the order first seen. */
  actors(): InspectedActor[] {
    return [...this.#actors.values()];
  }

  #put(actor: InspectedActor): void {
    this.#actors.set(actor.sessionId, actor);
    if (this.#actors.size > MAX_ACTORS) this.#actors.delete(this.#actors.keys().next().value!);
  }
}
