import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { InspectionEvent } from 'xstate';
import { ALPHA_USD } from '../../src/chain/tempo-tokens.ts';
import { subscribeData } from '../../src/graphql/subscribe-data.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { type AccountBalance, AccountsPanel } from './AccountsPanel.tsx';
import { liveConnection, request } from './api.ts';
import { browserDemoMachine, type DemoActor, type DemoWorld, startBrowserDemo } from './browser-demo.ts';
import { DEVNET_KEYS, devKeysOffered } from './devnet-keys.ts';
import { formatAmount } from './format.ts';
import { type DemoEvent, MachinesView } from './MachinesView.tsx';
import { machineGraph } from './machine-graph.ts';
import { loadWatched, type NamedAccount, saveWatched } from './names.ts';
import {
  type CommitteeNode,
  GUARANTEE_MEANING,
  PAYMENT_DETAIL_FIELDS,
  PAYMENT_FIELDS,
  type PaymentDetailFields,
  type PaymentFields,
  type Stage,
} from './nodes.ts';
import { PayForm } from './PayForm.tsx';
import { PaymentDetail } from './PaymentDetail.tsx';
import { PaymentList } from './PaymentList.tsx';
import { committeeFromNode } from './qc-check.ts';
import { TimelineList } from './TimelineList.tsx';
import { EMPTY_TIMELINE, nextTimeline } from './timeline.ts';

interface Setup {
  readonly devnet: boolean;
  readonly committee: CommitteeNode;
  readonly namedAccounts: readonly NamedAccount[];
}

const ASSET = toHex(ALPHA_USD);
const HISTORY = 50;

/**
 * The page: named accounts with their balances, paying (signed in the browser on a devnet), the chained demo, the
 * payment history loaded on open and then kept live over graphql-ws, each payment's detail, and the machines.
 * It talks to nothing but the aggregator's GraphQL endpoint.
 */
export function App() {
  const [setup, setSetup] = useState<Setup>();
  const [setupError, setSetupError] = useState<string>();
  const [timeline, dispatch] = useReducer(nextTimeline, EMPTY_TIMELINE);
  const [historyLoaded, setHistoryLoaded] = useState(false);
  const [connected, setConnected] = useState(false);
  const [headSource, setHeadSource] = useState<string>();
  const [watched, setWatched] = useState<NamedAccount[]>(loadWatched);
  const [balances, setBalances] = useState<Record<string, AccountBalance>>({});
  const [chainReadable, setChainReadable] = useState(true);
  const [selected, setSelected] = useState<string>();
  const [detail, setDetail] = useState<PaymentDetailFields>();
  const [detailError, setDetailError] = useState<string>();
  const [view, setView] = useState<'payments' | 'machines'>('payments');
  const [demoState, setDemoState] = useState<string>();
  const [demoEvents, setDemoEvents] = useState<DemoEvent[]>([]);
  const [demoOutcome, setDemoOutcome] = useState<{ ok: boolean; text: string }>();
  const demoActor = useRef<DemoActor>(undefined);
  const stages = useRef(new Map<string, Stage>());
  const stageListeners = useRef(new Set<(txHash: string, stage: Stage) => void>());
  const blockListeners = useRef(new Set<() => void>());

  const heard = useCallback((payment: PaymentFields) => {
    stages.current.set(payment.txHash, payment.stage);
    for (const listener of stageListeners.current) listener(payment.txHash, payment.stage);
  }, []);

  useEffect(() => {
    request<Setup>(
      `{ devnet namedAccounts { name address }
         committee { chainId epoch threshold faultTolerance validators { id name publicKey } } }`,
    )
      .then(setSetup)
      .catch((error: Error) => setSetupError(error.message));
    let mounted = true;
    const client = liveConnection((up) => mounted && setConnected(up));
    const stops = [
      subscribeData<{ blockHeight: { height: string; timestampMs: string; source: string } }>(
        client,
        'subscription { blockHeight { height timestampMs source } }',
        (d) => {
          setHeadSource(d.blockHeight.source);
          dispatch({ type: 'block', height: d.blockHeight.height, timestampMs: d.blockHeight.timestampMs });
          for (const listener of blockListeners.current) listener();
        },
      ),
      subscribeData<{ qcFormed: PaymentFields }>(
        client,
        `subscription { qcFormed { ${PAYMENT_FIELDS} } }`,
        (d) => {
          heard(d.qcFormed);
          dispatch({ type: 'qc', payment: d.qcFormed });
        },
      ),
      subscribeData<{ paymentUpdated: { payment: PaymentFields } }>(
        client,
        `subscription { paymentUpdated { payment { ${PAYMENT_FIELDS} } } }`,
        (d) => {
          heard(d.paymentUpdated.payment);
          dispatch({ type: 'payment', payment: d.paymentUpdated.payment });
        },
      ),
    ];
    request<{ payments: { nodes: PaymentFields[] } }>(
      `{ payments(first: ${HISTORY}) { nodes { ${PAYMENT_FIELDS} } } }`,
    )
      .then((d) => {
        for (const p of d.payments.nodes)
          if (!stages.current.has(p.txHash)) stages.current.set(p.txHash, p.stage);
        dispatch({ type: 'history', payments: d.payments.nodes });
      })
      .catch((error: Error) => setSetupError(error.message))
      .finally(() => setHistoryLoaded(true));
    return () => {
      mounted = false;
      for (const stop of stops) stop();
      void client.dispose();
      demoActor.current?.stop();
    };
  }, [heard]);

  const accounts = useMemo(() => {
    const named = setup?.namedAccounts ?? [];
    return [...named, ...watched.filter((w) => !named.some((n) => n.address === w.address))];
  }, [setup, watched]);
  const committee = useMemo(() => setup && committeeFromNode(setup.committee), [setup]);
  const keysOffered = setup ? devKeysOffered(BigInt(setup.committee.chainId), setup.devnet) : false;
  const signers = useMemo(
    () =>
      keysOffered
        ? accounts.flatMap((a) => {
            const key = DEVNET_KEYS.get(a.address);
            return key ? [{ ...a, key }] : [];
          })
        : [],
    [accounts, keysOffered],
  );

  const head = timeline.lastBlock?.height;
  useEffect(() => {
    if (accounts.length === 0 || head === undefined) return;
    request<{ balances: (AccountBalance & { address: string })[] | null }>(
      'query ($addresses: [Address!]!, $asset: Address!) { balances(addresses: $addresses, asset: $asset) { address amount escrowed atBlock } }',
      { addresses: accounts.slice(0, 20).map((a) => a.address), asset: ASSET },
    )
      .then((d) => {
        setChainReadable(d.balances !== null);
        setBalances(Object.fromEntries((d.balances ?? []).map((b) => [b.address, b])));
      })
      .catch(() => undefined);
  }, [accounts, head]);

  const row = timeline.payments.find((p) => p.txHash === selected);
  const rowKey = row && `${row.stage}|${row.certificates.length}|${row.rejections.length}`;
  useEffect(() => {
    if (!selected || rowKey === undefined) return;
    request<{ payment: PaymentDetailFields | null }>(
      `query ($txHash: Hex!) { payment(txHash: $txHash) { ${PAYMENT_DETAIL_FIELDS} } }`,
      { txHash: selected },
    )
      .then((d) => {
        setDetail(d.payment ?? undefined);
        setDetailError(d.payment ? undefined : 'The aggregator does not know this payment.');
      })
      .catch((error: Error) => setDetailError(error.message));
  }, [selected, rowKey]);

  const world = useMemo<DemoWorld | undefined>(() => {
    if (!setup || !keysOffered) return undefined;
    return {
      chainId: BigInt(setup.committee.chainId),
      account(name) {
        const a = setup.namedAccounts.find((n) => n.name === name);
        const key = a && DEVNET_KEYS.get(a.address);
        if (!a || !key) throw new Error(`no devnet account ${name}`);
        return { address: a.address, key };
      },
      nextBlock: () =>
        new Promise<void>((resolve) => {
          const once = () => {
            blockListeners.current.delete(once);
            resolve();
          };
          blockListeners.current.add(once);
        }),
      onStage(listener) {
        stageListeners.current.add(listener);
        return () => stageListeners.current.delete(listener);
      },
      stageOf: (txHash) => stages.current.get(txHash),
    };
  }, [setup, keysOffered]);
  const demoGraph = useMemo(() => machineGraph(browserDemoMachine(world ?? DRAWING_ONLY)), [world]);

  const runDemo = () => {
    if (!world) return;
    demoActor.current?.stop();
    setDemoEvents([]);
    setDemoOutcome(undefined);
    const onInspect = (event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
      const state = String((event.snapshot as unknown as { value: unknown }).value);
      setDemoState(state);
      setDemoEvents((list) => [...list, { seq: list.length, type: event.event.type, state }]);
    };
    const actor = startBrowserDemo(world, onInspect);
    demoActor.current = actor;
    setDemoState(String(actor.getSnapshot().value));
    actor.subscribe((snapshot) => {
      if (snapshot.status !== 'done') return;
      const c = snapshot.context;
      for (const p of [c.first, c.second]) if (p) setSelected((s) => s ?? p.txHash);
      setDemoOutcome(
        c.error
          ? { ok: false, text: `demo failed: ${c.error}` }
          : {
              ok: true,
              text: `both included; balances at block ${c.balances?.atBlock}: ${Object.entries(
                c.balances?.byName ?? {},
              )
                .map(([name, v]) => `${name} ${formatAmount(v, ASSET)}`)
                .join(', ')}`,
            },
      );
    });
  };

  const addWatched = (account: NamedAccount) => {
    const next = [...watched.filter((w) => w.address !== account.address), account];
    setWatched(next);
    saveWatched(next);
  };

  return (
    <main>
      <header>
        <h1>Allegro</h1>
        <p className="tagline">Payments preconfirmed by a quorum of validators before the next Tempo block</p>
        <div className="status">
          <span data-testid="connection" className={connected ? 'dot live' : 'dot'}>
            {connected ? 'live' : 'connecting…'}
          </span>
          <span data-testid="chain-head">block {head ?? '—'}</span>
          {setup && (
            <span>
              chain {setup.committee.chainId} · QC = {setup.committee.threshold} of{' '}
              {setup.committee.validators.map((v) => v.name).join(', ')} (f = {setup.committee.faultTolerance}
              )
            </span>
          )}
        </div>
        {setupError && (
          <p className="error" data-testid="setup-error">
            {setupError}
          </p>
        )}
      </header>
      <nav className="tabs">
        <button
          type="button"
          data-testid="tab-payments"
          aria-pressed={view === 'payments'}
          onClick={() => setView('payments')}
        >
          Payments
        </button>
        <button
          type="button"
          data-testid="tab-machines"
          aria-pressed={view === 'machines'}
          onClick={() => setView('machines')}
        >
          Machines
        </button>
      </nav>
      {view === 'machines' ? (
        <MachinesView payment={row} demoGraph={demoGraph} demoState={demoState} demoEvents={demoEvents} />
      ) : (
        <div className="columns">
          <div>
            <AccountsPanel
              accounts={accounts}
              balances={balances}
              asset={ASSET}
              chainReadable={chainReadable}
              onAdd={addWatched}
            />
            {setup && keysOffered && (
              <>
                <PayForm
                  chainId={BigInt(setup.committee.chainId)}
                  signers={signers}
                  accounts={accounts}
                  asset={ASSET}
                  onPaid={(p) => {
                    heard(p);
                    dispatch({ type: 'payment', payment: p });
                    setSelected(p.txHash);
                  }}
                />
                <section className="panel">
                  <h2>Chained demo</h2>
                  <p className="hint">
                    On a fresh block Alice pays Bob 10 and at once Bob pays Carol 10 citing Alice's QC; then
                    both settle.
                  </p>
                  <button
                    type="button"
                    data-testid="run-demo"
                    disabled={demoState !== undefined && demoState !== 'done' && demoState !== 'failed'}
                    onClick={runDemo}
                  >
                    Run the chained demo
                  </button>
                  {demoState && <p data-testid="demo-state">state: {demoState}</p>}
                  {demoOutcome && (
                    <p data-testid="demo-outcome" className={demoOutcome.ok ? 'ok' : 'error'}>
                      {demoOutcome.text}
                    </p>
                  )}
                </section>
              </>
            )}
            {setup && !keysOffered && (
              <p className="empty" data-testid="no-dev-keys">
                Not a devnet: this page offers no keys. Payments arrive signed by the payer's own wallet.
              </p>
            )}
            <section className="panel">
              <h2>Timeline</h2>
              {headSource && (
                <p className="hint" data-testid="head-source">
                  Block heights, here and at each QC, are the aggregator's chain head: {headSource}.
                </p>
              )}
              <TimelineList entries={timeline.entries} accounts={accounts} />
            </section>
          </div>
          <div>
            <section className="panel">
              <h2>Payments</h2>
              <PaymentList
                payments={timeline.payments}
                accounts={accounts}
                selected={selected}
                loaded={historyLoaded}
                onSelect={setSelected}
              />
              <p className="legend" data-testid="guarantee-legend">
                LOCKED: {GUARANTEE_MEANING.LOCKED} ESCROWED: {GUARANTEE_MEANING.ESCROWED}
              </p>
            </section>
            {committee && (
              <section className="panel">
                <h2>Payment detail</h2>
                <PaymentDetail
                  payment={selected === detail?.txHash ? detail : undefined}
                  error={detailError}
                  committee={committee}
                  accounts={accounts}
                  blockTimes={timeline.blockTimes}
                />
              </section>
            )}
          </div>
        </div>
      )}
    </main>
  );
}

/** A world whose effects never run: the demo machine is only drawn until the page knows its devnet. */
const DRAWING_ONLY: DemoWorld = {
  chainId: 0n,
  account: (name) => {
    throw new Error(`no devnet account ${name}`);
  },
  nextBlock: () => new Promise(() => undefined),
  onStage: () => () => undefined,
  stageOf: () => undefined,
};
