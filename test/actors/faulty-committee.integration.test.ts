import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.ts';
import type { AllegroClient } from '../../src/client/allegro-client.ts';
import type { ClientEvent } from '../../src/client/client-event.ts';
import { PaymentRejectedError } from '../../src/client/errors.ts';
import { trackedClient } from '../../src/client/tracked-client.ts';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { demoValidators } from '../../src/services/demo/demo-validators.ts';
import {
  committeeFileJson,
  type SidecarCommittee,
  sidecarIdentityFlags,
  startSidecarCommittee,
} from '../../src/services/demo/sidecar-committee.ts';
import { type SidecarProcess, startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { ALPHA_USD, BOB, CAROL_KEY } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { suite } from '../support/validator-harness.ts';

const BIN = join(import.meta.dirname, '../../bin/allegro.mjs');
const validators = demoValidators(7);
const HONEST = ['Dave', 'Edgar', 'Fay', 'Gus', 'Hana'];
/** Ivan's sidecar signs with another key than the one the committee pins for Ivan: its certificates are forged. */
const FORGER = 'Ivan';
const FORGER_SEED = repeatByte(0x99, 32);
/** Judy is a member whose sidecar never runs. */
const DOWN = 'Judy';
const payerKey = (byte: number) => `0x${byte.toString(16).repeat(32)}` as const;
const PAYERS = [payerKey(0x44), payerKey(0x45), payerKey(0x46)];

let dir: string;
let sidecars: SidecarCommittee;
let forger: SidecarProcess;
const systems: ActorSystem[] = [];
const clients: AllegroClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allegro-faulty-'));
  const balances = join(dir, 'balances.json');
  await writeFile(
    balances,
    JSON.stringify(
      PAYERS.map((key) => ({
        account: privateKeyToAddress(key),
        asset: toHex(ALPHA_USD),
        amount: '100000000',
      })),
    ),
  );
  const flags = [
    '--block-height',
    '1',
    '--demo-balances',
    '--balances',
    balances,
    '--gossip-interval-ms',
    '200',
  ];
  sidecars = await startSidecarCommittee({
    validators,
    chainId: 1337n,
    epoch: 1n,
    dir,
    flags,
    down: new Set([FORGER, DOWN]),
  });
  const forgerKey = suite.ed25519.signer(FORGER_SEED).publicKey;
  const forgerView: Committee = {
    ...sidecars.committee,
    members: sidecars.committee.members.map((m) => (m.name === FORGER ? { ...m, publicKey: forgerKey } : m)),
  };
  const forgerFile = join(dir, 'forger-committee.json');
  await writeFile(forgerFile, committeeFileJson(forgerView));
  const ivan = validators.find((v) => v.name === FORGER)!;
  forger = await startSidecarProcess([
    ...sidecarIdentityFlags({ ...ivan, seed: FORGER_SEED }, memberOf(FORGER).url!, join(dir, 'forger')),
    ...['--chain-id', '1337', '--epoch', '1', '--committee', forgerFile],
    ...flags,
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  for (const system of systems) await system.stop();
  const pids = [...(sidecars?.processes.values() ?? []), forger].flatMap((p) => (p ? [p.pid] : []));
  await sidecars?.stop();
  await forger?.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  await rm(dir, { recursive: true, force: true });
});

function memberOf(name: string) {
  return sidecars.committee.members.find((m) => m.name === name)!;
}

async function systemOf(names: readonly string[]) {
  const committee: Committee = { chainId: 1337n, epoch: 1n, members: names.map(memberOf) };
  const system = await ActorSystem.start({ committee, store: new MemoryStore() });
  systems.push(system);
  return system;
}

function payerOf(system: ActorSystem, account: `0x${string}`) {
  const events: ClientEvent[] = [];
  const client = trackedClient(system, { account, store: new MemoryStore(), onEvent: (e) => events.push(e) });
  clients.push(client);
  return { client, events };
}

const idOf = (name: string) => toHex(memberOf(name).id);
const signersOf = (certs: readonly { signer?: { name: string } }[]) =>
  certs.map((c) => c.signer!.name).sort();

describe('payment actors with a faulty committee (real sidecar processes over gRPC)', () => {
  it('with 7 validators (f = 2), one forging and one down: the QC forms from the 5 honest, the forgery is refused', async () => {
    const system = await systemOf([...HONEST, FORGER, DOWN]);
    const { client, events } = payerOf(system, PAYERS[0]!);
    const result = await client.sendPayment({ to: BOB, amount: 1_000000n });
    expect(verifyQuorumCertificate(suite, system.committee, result.qc).ok).toBe(true);
    expect(signersOf(result.qc.certs)).toEqual([...HONEST].sort());

    const txHash = toHex(result.txHash);
    await eventually(() => {
      const view = system.payments.get(txHash)!;
      expect(view.stage).toBe('QC_FORMED');
      expect(view.context.rejects[idOf(FORGER)]).toMatchObject({ validator: FORGER, permanent: true });
    });
    const view = system.payments.get(txHash)!;
    expect(view.context.rejects[idOf(FORGER)]!.message).toMatch(/invalid certificate/);
    expect(Object.keys(view.context.certificates).sort()).toEqual(HONEST.map(idOf).sort());
    expect(view.context).toMatchObject({ threshold: 5, faultTolerance: 2, qcHash: toHex(result.qc.qcHash) });
    expect(events.find((e) => e.type === 'invalidCertificate')).toMatchObject({ validator: FORGER });
    expect(events.some((e) => e.type === 'transportError' && e.validator === DOWN)).toBe(true);
  }, 30_000);

  it('with 4 validators (f = 1) and one forging: the QC forms from the 3 honest', async () => {
    const system = await systemOf(['Dave', 'Edgar', 'Fay', FORGER]);
    const { client, events } = payerOf(system, PAYERS[1]!);
    const result = await client.sendPayment({ to: BOB, amount: 1_000000n });
    expect(signersOf(result.qc.certs)).toEqual(['Dave', 'Edgar', 'Fay']);
    await eventually(() => expect(events.some((e) => e.type === 'invalidCertificate')).toBe(true));
    expect(system.payments.get(toHex(result.txHash))?.context.threshold).toBe(3);
  }, 30_000);

  it('with 4 validators (f = 1) and one down: the QC forms from the 3 others without waiting for it', async () => {
    const system = await systemOf([DOWN, 'Dave', 'Edgar', 'Fay']);
    const { client } = payerOf(system, PAYERS[2]!);
    const started = Date.now();
    const result = await client.sendPayment({ to: BOB, amount: 1_000000n });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(signersOf(result.qc.certs)).toEqual(['Dave', 'Edgar', 'Fay']);
    await eventually(() => expect(system.payments.get(toHex(result.txHash))?.stage).toBe('QC_FORMED'));
    expect(system.payments.get(toHex(result.txHash))?.context.blockAtSubmit).toBe('1');
  }, 30_000);

  it('records a payment refused by a quorum as REJECTED and gives its sequence to the next payment', async () => {
    const system = await systemOf(['Dave', 'Edgar']);
    const { client } = payerOf(system, CAROL_KEY);
    const refused = await client.sendPayment({ to: BOB, amount: 12_000000n }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PaymentRejectedError);
    expect((refused as PaymentRejectedError).lane).toBe('released');
    const rejected = toHex((refused as PaymentRejectedError).txHash);
    await eventually(() => expect(system.payments.get(rejected)?.stage).toBe('REJECTED'));
    const rejects = Object.values(system.payments.get(rejected)!.context.rejects);
    expect(rejects.map((r) => r.code)).toContain(RejectCode.INSUFFICIENT_FUNDS);
    expect((await client.laneState()).next).toBe(0n);

    const paid = await client.sendPayment({ to: BOB, amount: 1_000000n });
    expect(paid.seq).toBe(0n);
    await eventually(() => expect(system.payments.get(toHex(paid.txHash))?.stage).toBe('QC_FORMED'));
    expect(system.payments.get(toHex(paid.txHash))!.context).toMatchObject({
      sender: privateKeyToAddress(CAROL_KEY).toLowerCase(),
      recipient: toHex(BOB),
    });
  }, 30_000);
});

describe('allegro demo grpc', () => {
  it('`allegro demo grpc` chains Alice → Bob → Carol against two running standalone sidecars (Dave and Edgar, 2 of 2) and exits 0', async () => {
    const pair = await SidecarPair.start();
    const args = ['demo', 'grpc', '--dave-url', pair.url('Dave'), '--edgar-url', pair.url('Edgar')];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    // A run that does not end is stopped, and its output shown, well before the test's own timeout.
    const stuck = setTimeout(() => child.kill('SIGKILL'), 150_000);
    const code = await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(stuck);
    await pair.stop();
    expect(code, output).toBe(0);
    expect(output).toContain('Alice → Bob: 10 AlphaUSD submitted at block 1');
    expect(output).toMatch(/Bob → Carol: 10 AlphaUSD submitted at block 1 with parent QC1/);
    expect(output).toContain('QC2 formed at block 1 (the height has not moved)');
    expect(output).toMatch(/QC1 formed: 0x[0-9a-f]{64}\nQC2 formed: 0x[0-9a-f]{64}/);
    expect(pidAlive(child.pid!)).toBe(false);
  }, 180_000);
});
