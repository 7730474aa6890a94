import { formatUnits } from 'viem';
import { createActor, fromPromise, type InspectionEvent, type Observer, toPromise } from 'xstate';
import type { ActorSystem } from '../../actors/actor-system.ts';
import type { PaymentView } from '../../actors/payment-registry.ts';
import type { ChainPort } from '../../chain/chain-port.ts';
import { DEMO_ACCOUNTS } from '../../chain/demo-accounts.ts';
import type { EscrowChain } from '../../chain/escrow/escrow-chain.ts';
import { ALPHA_USD, TIP20_DECIMALS } from '../../chain/tempo-tokens.ts';
import type { AllegroClient } from '../../client/allegro-client.ts';
import type { ClientEvent } from '../../client/client-event.ts';
import { trackedClient } from '../../client/tracked-client.ts';
import { toHex } from '../../protocol/bytes.ts';
import { rejectCodeName } from '../../protocol/reject.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import {
  type ChainedDemoActors,
  createChainedDemoMachine,
  type DemoBalances,
} from './chained-demo.machine.ts';
import { type EscrowEscapeOptions, tryEscrowEscapes } from './escrow-escapes.ts';

export interface ChainedDemoOptions {
  readonly system: ActorSystem;
  /** The chain: the script then starts on a fresh block, waits for inclusion and reads the balances. */
  readonly chain?: Pick<ChainPort, 'head' | 'balanceOf'>;
  /** Paid by Alice to Bob, then by Bob to Carol; default 10 AlphaUSD. */
  readonly amount?: bigint;
  /** Receives the timeline, one line at a time. */
  readonly print: (line: string) => void;
  /** Inspection observer for the script's own actor. */
  readonly inspect?: Observer<InspectionEvent>;
  /** How long to wait for both payments to be included; default 2 minutes. */
  readonly settleTimeoutMs?: number;
  readonly now?: () => number;
  /**
   * ESCROWED mode: payments out of this escrow (caller-owned), Alice's escapes between QC2 and settlement, and
   * escrow balances at the end; `node` sends Alice's wallet drain.
   */
  readonly escrow?: { readonly chain: EscrowChain; readonly node: EscrowEscapeOptions['node'] };
}

export interface ChainedDemoReport {
  /** Alice → Bob, then Bob → Carol, as the payment actors last saw them. */
  readonly payments: readonly [PaymentView, PaymentView];
  /** On-chain balances at the end (with a chain): the escrow's in escrow mode. */
  readonly balances?: DemoBalances;
  /** The payments were ESCROWED. */
  readonly escrow?: boolean;
}

const SETTLED = new Set(['INCLUDED', 'FINALIZED']);
const LOST = new Set(['REJECTED', 'EXPIRED', 'FAILED']);

/**
 * Runs the chained demo (reference §12.2) through the actor system and prints its timeline: Alice → Bob, QC1;
 * Bob → Carol citing QC1, QC2 (on a chain both within one block); then, with a chain, both included and the
 * final balances. Throws when a step fails; the payer clients it made are closed either way.
 */
export async function runChainedDemo(options: ChainedDemoOptions): Promise<ChainedDemoReport> {
  const { system, chain, print } = options;
  const now = options.now ?? Date.now;
  const amount = options.amount ?? 10n * 10n ** BigInt(TIP20_DECIMALS);
  let start: number | undefined;
  const say = (text: string) => {
    start ??= now();
    print(`${`+${((now() - start) / 1000).toFixed(3)} s`.padStart(10)}  ${text}`);
  };
  const nameOf = (address: string) =>
    DEMO_ACCOUNTS.find((a) => toHex(a.address) === address)?.name ?? address;
  const timeline = new Timeline(system, say, nameOf);
  const unsubscribe = system.payments.subscribe((view, previous) => timeline.stage(view, previous));
  const laneStore = new MemoryStore();
  const clients = new Map<string, AllegroClient>();
  const payer = (name: string, to: string) => {
    const account = DEMO_ACCOUNTS.find((a) => a.name === name)!;
    const client = trackedClient(system, {
      account: account.privateKey,
      store: laneStore,
      ...(options.escrow
        ? { escrow: { address: options.escrow.chain.address, chain: options.escrow.chain } }
        : {}),
      onEvent: (event) => timeline.client(`${name} → ${to}`, event),
    });
    clients.set(name, client);
    return client;
  };

  const actors: ChainedDemoActors = {
    freshBlock: fromPromise(async () => {
      print(`${''.padStart(10)}  … waiting for a fresh block, so that both payments fall within one block`);
      const height = (await chain!.head()).height;
      await new Promise<void>((resolve) => {
        const stop = system.onHead((head) => {
          if (head.height <= height) return;
          stop();
          resolve();
        });
      });
    }),
    pay: fromPromise(async ({ input }) => {
      const to = DEMO_ACCOUNTS.find((a) => a.name === input.to)!;
      const result = await payer(input.payer, input.to).sendPayment({
        to: to.address,
        amount,
        ...(input.parent ? { parent: input.parent.qc, parentTx: input.parent.tx } : {}),
      });
      return { txHash: toHex(result.txHash), qc: result.qc, tx: result.tx };
    }),
    settled: fromPromise(({ input }) => {
      say('… waiting until both payments are included on chain');
      return settled(system, input.txHashes, options.settleTimeoutMs ?? 120_000);
    }),
    escapes: fromPromise(() => {
      const [alice, bob, carol] = DEMO_ACCOUNTS;
      const { escrow } = options;
      if (!escrow) return Promise.resolve();
      say('Alice now tries every way out of her payment to Bob:');
      return tryEscrowEscapes({
        alice: alice!,
        bob: bob!,
        carol: carol!,
        escrow: escrow.chain,
        node: escrow.node,
        transports: [...system.transports().values()],
        alicePaysCarol: (amount) => payer('Alice', 'Carol').sendPayment({ to: carol!.address, amount }),
        headAfter: (height) =>
          new Promise<void>((resolve) => {
            const stop = system.onHead((head) => {
              if (head.height <= height) return;
              stop();
              resolve();
            });
          }),
        say,
      });
    }),
    balances: fromPromise(async () => {
      const atBlock = (await chain!.head()).height;
      const { escrow } = options;
      const amounts = await Promise.all(
        DEMO_ACCOUNTS.map((a) =>
          escrow
            ? escrow.chain.balanceOf(a.address, ALPHA_USD, atBlock)
            : chain!.balanceOf(ALPHA_USD, a.address, atBlock),
        ),
      );
      return { atBlock, byName: Object.fromEntries(DEMO_ACCOUNTS.map((a, i) => [a.name, amounts[i]!])) };
    }),
  };
  try {
    const script = createActor(createChainedDemoMachine(actors), {
      id: 'chained demo',
      input: { onChain: chain !== undefined, escrow: options.escrow !== undefined },
      ...(options.inspect ? { inspect: options.inspect } : {}),
    });
    const outcome = await toPromise(script.start());
    if (outcome.error !== undefined || !outcome.first || !outcome.second) {
      throw new Error(outcome.error ?? 'the demo script stopped early');
    }
    const view = (txHash: string) => system.payments.get(txHash)!;
    const payments = [view(outcome.first.txHash), view(outcome.second.txHash)] as const;
    if (outcome.balances) {
      const { atBlock, byName } = outcome.balances;
      const list = Object.entries(byName).map(
        ([name, units]) => `${name} ${formatUnits(units, TIP20_DECIMALS)}`,
      );
      const where = options.escrow ? 'escrow' : 'on-chain';
      say(`${where} balances at block ${atBlock}: ${list.join(', ')} AlphaUSD`);
    }
    return {
      payments,
      ...(outcome.balances ? { balances: outcome.balances } : {}),
      ...(options.escrow ? { escrow: true } : {}),
    };
  } finally {
    unsubscribe();
    await Promise.all([...clients.values()].map((c) => c.close()));
  }
}

/** Resolves once every payment is included (or final); rejects when one is lost or after `timeoutMs`. */
function settled(system: ActorSystem, txHashes: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const views = txHashes.map((h) => system.payments.get(h));
      const lost = views.find((v) => v && LOST.has(v.stage));
      if (lost)
        finish(new Error(`payment ${lost.txHash} ended ${lost.stage}: ${lost.context.failure ?? ''}`));
      else if (views.every((v) => v && SETTLED.has(v.stage))) finish();
    };
    const finish = (error?: Error) => {
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new Error(`payments not included within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const unsubscribe = system.payments.subscribe(check);
    check();
  });
}

/** Turns payment stage changes and the payer clients' events into timeline lines. */
class Timeline {
  /** Tx hashes in submission order: the first payment's QC is QC1. */
  readonly #order: string[] = [];
  /** Payments whose QC the timeline already showed. */
  readonly #announced = new Set<string>();
  readonly #unreachable = new Set<string>();

  constructor(
    private readonly system: ActorSystem,
    private readonly say: (text: string) => void,
    private readonly nameOf: (address: string) => string,
  ) {}

  stage(view: PaymentView, previous: string | undefined): void {
    const c = view.context;
    const label = `${this.nameOf(c.sender)} → ${this.nameOf(c.recipient)}`;
    if (view.stage === 'SUBMITTED' && previous === undefined) {
      this.#order.push(view.txHash);
      const parent = c.parentQcHash
        ? ` with parent ${this.#qcName(c.parentQcHash)} ${short(c.parentQcHash)}`
        : '';
      const amount = formatUnits(BigInt(c.amount), TIP20_DECIMALS);
      this.say(
        `${label}: ${amount} AlphaUSD submitted at block ${c.blockAtSubmit}${parent} (tx ${short(view.txHash)})`,
      );
    }
    if (c.qcHash && !this.#announced.has(view.txHash)) {
      this.#announced.add(view.txHash);
      this.#qcFormed(view);
    }
    if (view.stage === previous) return;
    switch (view.stage) {
      case 'QUEUED_ONCHAIN':
        this.say(
          `${label}: queued for settlement by the sidecars (head ${this.system.head()?.height ?? '?'})`,
        );
        return;
      case 'INCLUDED':
        this.say(`${label}: included in block ${c.inclusion!.blockNumber}`);
        return;
      case 'FINALIZED':
        this.say(`${label}: final`);
        return;
      case 'REJECTED': {
        const why = Object.values(c.rejects).map((r) => `${r.validator}: ${r.message}`);
        this.say(`${label}: rejected (${why.join('; ')})`);
        return;
      }
      case 'EXPIRED':
      case 'FAILED':
        this.say(`${label}: ${view.stage.toLowerCase()}${c.failure ? ` (${c.failure})` : ''}`);
        return;
    }
  }

  client(label: string, event: ClientEvent): void {
    if (event.type === 'certificate' && !event.late)
      this.say(`${label}: certificate from ${event.validator}`);
    else if (event.type === 'invalidCertificate')
      this.say(`${label}: refused ${event.validator}'s certificate (${event.message})`);
    else if (event.type === 'reject' && !event.willRetry && !event.late)
      this.say(`${label}: ${event.validator} rejects it: ${rejectCodeName(event.code)} ${event.message}`);
    else if (event.type === 'transportError' && !event.late) {
      const key = `${toHex(event.txHash)} ${event.validator}`;
      if (this.#unreachable.has(key)) return;
      this.#unreachable.add(key);
      this.say(`${label}: ${event.validator} does not answer (${event.message})`);
    }
  }

  #qcFormed(view: PaymentView): void {
    const c = view.context;
    const n = this.#order.indexOf(view.txHash) + 1;
    const first = n > 1 ? this.system.payments.get(this.#order[0]!)?.context.blockAtQc : undefined;
    const moved =
      first === undefined
        ? ''
        : first === c.blockAtQc
          ? ' (the height has not moved)'
          : ` (QC1 was at block ${first})`;
    const signers = Object.values(c.certificates).map((cert) => cert.validator);
    this.say(
      `QC${n} formed at block ${c.blockAtQc}${moved}: ${signers.length} of ${this.system.committee.members.length} ` +
        `certificates (${signers.join(', ')}; ${c.threshold} needed), qc ${short(c.qcHash!)}`,
    );
  }

  #qcName(qcHash: string): string {
    const i = this.#order.findIndex((h) => this.system.payments.get(h)?.context.qcHash === qcHash);
    return i < 0 ? 'QC' : `QC${i + 1}`;
  }
}

/** `0x1234…abcd`. */
function short(hex: string): string {
  return `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}
