import type { MachineGraph } from './machine-graph.ts';

interface Props {
  readonly graph: MachineGraph;
  /** The state to highlight. */
  readonly current: string | undefined;
}

/** A machine drawn from its definition: each state with its outgoing transitions; the current one highlighted. */
export function MachineDiagram({ graph, current }: Props) {
  return (
    <div className="machine" data-testid={`machine-${graph.id}`}>
      <ol className="states">
        {graph.states.map((s) => (
          <li
            key={s.key}
            data-state={s.key}
            data-current={s.key === current ? 'true' : undefined}
            className={[s.key === current ? 'current' : '', s.final ? 'final' : ''].join(' ')}
          >
            <strong>
              {s.initial ? '→ ' : ''}
              {s.key}
            </strong>
            {s.final && <em> final</em>}
            <ul>
              {s.transitions
                .filter((t) => t.targets.length > 0)
                .map((t) => (
                  <li key={`${t.event}-${t.targets.join(',')}-${t.guard ?? ''}`}>
                    {t.event}
                    {t.guard ? ` [${t.guard}]` : ''} → {t.targets.join(', ')}
                  </li>
                ))}
            </ul>
          </li>
        ))}
      </ol>
      {graph.anyState.some((t) => t.targets.length > 0) && (
        <p className="hint">
          From any state:{' '}
          {graph.anyState
            .filter((t) => t.targets.length > 0)
            .map((t) => `${t.event}${t.guard ? ` [${t.guard}]` : ''} → ${t.targets.join(', ')}`)
            .join('; ')}
        </p>
      )}
    </div>
  );
}
