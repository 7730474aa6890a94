import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { measureSettlementGas } from '../../src/chain/escrow/settlement-gas.ts';
import { pidAlive } from '../support/pid-alive.ts';

let devnet: Devnet;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0 });
});

afterAll(async () => {
  await devnet?.stop();
  if (devnet) expect(pidAlive(devnet.pid)).toBe(false);
});

describe('AllegroEscrow settlement gas', () => {
  it('one settlement costs more gas the more signatures its QC carries (committees of 2, 4 and 7)', async () => {
    const alice = devnet.accounts[0]!;
    const gas: Record<number, bigint> = {};
    for (const committeeSize of [2, 4, 7]) {
      gas[committeeSize] = await measureSettlementGas({
        rpcUrl: devnet.rpcUrl,
        payer: { privateKey: alice.privateKey, address: alice.address },
        token: devnet.tokens.alphaUsd.address,
        committeeSize,
      });
    }
    console.log(
      `settle gas (fresh lane, new recipient credit): n=2 (2 sigs) ${gas[2]}, n=4 (3 sigs) ${gas[4]}, ` +
        `n=7 (5 sigs) ${gas[7]}`,
    );
    expect(gas[4]!).toBeGreaterThan(gas[2]!);
    expect(gas[7]!).toBeGreaterThan(gas[4]!);
  });
});
