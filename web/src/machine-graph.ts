/** A machine's states and transitions, read from its definition (pure: nothing runs, nothing is fetched). */

import type { AnyStateMachine } from 'xstate';

export interface GraphTransition {
  readonly event: string;
  /** Target state keys (empty: the event is recorded without a move). */
  readonly targets: readonly string[];
  readonly guard: string | undefined;
}

export interface GraphState {
  readonly key: string;
  readonly final: boolean;
  readonly initial: boolean;
  readonly transitions: readonly GraphTransition[];
}

export interface MachineGraph {
  readonly id: string;
  readonly states: readonly GraphState[];
  /** Transitions any state takes (defined on the machine's root). */
  readonly anyState: readonly GraphTransition[];
}

/** The top-level states of `machine` with their transitions, invocations' done and error events named by source. */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = machine.root;
  const initial = root.config.initial;
  return {
    id: root.id,
    anyState: transitionsOf(root.definition.on, new Map()),
    states: Object.values(root.states).map((node) => {
      const sources = new Map(node.definition.invoke.map((i) => [i.id, String(i.src)]));
      return {
        key: node.key,
        final: node.type === 'final',
        initial: node.key === initial,
        transitions: [
          ...transitionsOf(node.definition.on, sources),
          ...(node.always ?? []).map((t) => transition('always', t)),
        ],
      };
    }),
  };
}

/** A transition as the definition holds it: targets are state ids ("#payment.qcFormed") or state nodes. */
interface Definition {
  readonly target?: readonly unknown[] | undefined;
  readonly guard?: unknown;
}

function transitionsOf(
  on: Readonly<Record<string, readonly Definition[]>>,
  sources: ReadonlyMap<string, string>,
): GraphTransition[] {
  return Object.entries(on).flatMap(([event, list]) =>
    list.map((t) => transition(eventName(event, sources), t)),
  );
}

/** `xstate.done.actor.<id>` → "pay done", `xstate.error.actor.<id>` → "pay error". */
function eventName(event: string, sources: ReadonlyMap<string, string>): string {
  const match = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event);
  return match ? `${sources.get(match[2]!) ?? match[2]} ${match[1]}` : event;
}

function transition(event: string, t: Definition): GraphTransition {
  const guard = t.guard;
  return {
    event,
    targets: (t.target ?? []).map((target) =>
      typeof target === 'string' ? target.replace(/^#[^.]+\./, '') : String((target as { key: string }).key),
    ),
    guard:
      typeof guard === 'string'
        ? guard
        : guard && typeof guard === 'object' && 'type' in guard
          ? String(guard.type)
          : undefined,
  };
}
