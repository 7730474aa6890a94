import { randomBytes } from 'node:crypto';
import { Secp256k1 } from 'ox';
import { TxEnvelopeTempo } from 'ox/tempo';
import { bytesToBigInt, createPublicClient, http } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { Abis, Addresses } from 'viem/tempo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { ALPHA_USD, PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { signTempoTransfer, tip20TransferCall } from '../../src/chain/tempo-transfer.ts';
import { DEVNET_FEES } from '../../src/chain/tempo-tx.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { waitForReceipt } from '../../src/chain/wait-for-receipt.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { pidAlive } from '../support/pid-alive.ts';

const FEE_ALLOWANCE = 10_000000n;

let devnet: Devnet;
let chain: ChainPort;
let rpc: ReturnType<typeof createPublicClient>;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0, blockTime: 1, chainId: 1337n, feeAllowance: FEE_ALLOWANCE });
  chain = createViemChain({ rpcUrl: devnet.rpcUrl, wsUrl: devnet.wsUrl });
  rpc = createPublicClient({ transport: http(devnet.rpcUrl) });
});

afterAll(async () => {
  await chain?.close();
  await devnet?.stop();
  if (devnet) expect(pidAlive(devnet.pid)).toBe(false);
});

const account = (name: string) => devnet.accounts.find((a) => a.name === name)!;

/** The fee Tempo charges: ceil(gasUsed × effectiveGasPrice / 10^12) base units of the fee token. */
async function feeOf(txHash: Uint8Array): Promise<{ gasUsed: bigint; fee: bigint }> {
  const r = await rpc.getTransactionReceipt({ hash: toHex(txHash) });
  const atto = r.gasUsed * r.effectiveGasPrice;
  return { gasUsed: r.gasUsed, fee: (atto + 10n ** 12n - 1n) / 10n ** 12n };
}

async function balancesAround(block: bigint, who: Uint8Array) {
  const read = (token: Uint8Array, at: bigint) => chain.balanceOf(token, who, at);
  return {
    alpha: (await read(ALPHA_USD, block)) - (await read(ALPHA_USD, block - 1n)),
    path: (await read(PATH_USD, block)) - (await read(PATH_USD, block - 1n)),
  };
}

describe('startDevnet', () => {
  it('serves the requested chain id and gives Alice 15, Bob 5, Carol 5 AlphaUSD exactly', async () => {
    expect(devnet.chainId).toBe(1337n);
    expect(await chain.chainId()).toBe(1337n);
    const { height } = await chain.head();
    const exact = await Promise.all(
      devnet.accounts.map((a) => chain.balanceOf(ALPHA_USD, a.address, height)),
    );
    expect(exact).toEqual([15_000000n, 5_000000n, 5_000000n]);
    expect(devnet.accounts.map((a) => a.alphaUsd)).toEqual(exact);
  });

  it('lists the demo accounts with the addresses of their well-known keys', () => {
    expect(devnet.accounts.map((a) => a.name)).toEqual(['Alice', 'Bob', 'Carol']);
    for (const a of devnet.accounts) {
      expect(toHex(a.address)).toBe(privateKeyToAddress(toHex(a.privateKey)).toLowerCase());
    }
  });

  it('sets each demo account fee token to pathUSD, paid out of its pathUSD allowance', async () => {
    const { height } = await chain.head();
    for (const a of devnet.accounts) {
      const token = await rpc.readContract({
        address: Addresses.feeManager,
        abi: Abis.feeManager,
        functionName: 'userTokens',
        args: [toHex(a.address)],
      });
      expect(token.toLowerCase()).toBe(toHex(PATH_USD));
      expect(a.pathUsd).toBe(await chain.balanceOf(PATH_USD, a.address, height));
      expect(a.pathUsd).toBeLessThan(FEE_ALLOWANCE);
      expect(a.pathUsd).toBeGreaterThan(FEE_ALLOWANCE - 10_000n);
    }
  });
});

describe('signTempoTransfer on the devnet', () => {
  it('is mined with status success; AlphaUSD moves by exactly the amount and the fee comes out of pathUSD', async () => {
    const alice = account('Alice');
    const bob = account('Bob');
    const nonceKey = randomBytes(32);
    const amount = 1_500000n;
    const { height, timestampMs } = await chain.head();
    const sign = (nonce: bigint) =>
      signTempoTransfer({
        chainId: devnet.chainId,
        senderKey: alice.privateKey,
        recipient: bob.address,
        amount,
        nonceKey,
        nonce,
        validBefore: timestampMs / 1000n + 60n,
        feeToken: PATH_USD,
      });
    expect(await chain.nonce(alice.address, nonceKey, height)).toBe(0n);

    const sentAt = Date.now();
    const first = await waitForReceipt(chain, await chain.sendRawTransaction(sign(0n)), { intervalMs: 10 });
    const latencyMs = Date.now() - sentAt;
    expect(first.success).toBe(true);
    const firstFee = await feeOf(first.txHash);
    expect(await balancesAround(first.blockNumber, alice.address)).toEqual({
      alpha: -amount,
      path: -firstFee.fee,
    });
    expect(await balancesAround(first.blockNumber, bob.address)).toEqual({ alpha: amount, path: 0n });
    expect(await chain.nonce(alice.address, nonceKey, first.blockNumber)).toBe(1n);

    const second = await waitForReceipt(chain, await chain.sendRawTransaction(sign(1n)));
    expect(second.success).toBe(true);
    const secondFee = await feeOf(second.txHash);
    expect(await balancesAround(second.blockNumber, alice.address)).toEqual({
      alpha: -amount,
      path: -secondFee.fee,
    });
    expect(firstFee.gasUsed).toBeGreaterThan(secondFee.gasUsed);
    console.log(
      `transfer on a new nonce key: ${firstFee.gasUsed} gas, fee ${firstFee.fee} pathUSD units; ` +
        `same key again: ${secondFee.gasUsed} gas, fee ${secondFee.fee}; ` +
        `first use of the key: +${firstFee.gasUsed - secondFee.gasUsed} gas; ` +
        `send→receipt with --block-time 1: ${latencyMs} ms`,
    );
  });

  it('a transfer without a feeToken still pays its fee in pathUSD (the preference the devnet set)', async () => {
    const carol = account('Carol');
    const alice = account('Alice');
    const nonceKey = randomBytes(32);
    const envelope = TxEnvelopeTempo.from({
      chainId: Number(devnet.chainId),
      calls: [tip20TransferCall(ALPHA_USD, alice.address, 1n)].map((c) => ({
        to: toHex(c.to),
        data: toHex(c.data),
      })),
      nonceKey: bytesToBigInt(nonceKey),
      nonce: 0n,
      ...DEVNET_FEES,
    });
    const signature = Secp256k1.sign({
      payload: TxEnvelopeTempo.getSignPayload(envelope),
      privateKey: toHex(carol.privateKey),
    });
    const raw = fromHex(TxEnvelopeTempo.serialize(envelope, { signature }));
    const receipt = await waitForReceipt(chain, await chain.sendRawTransaction(raw));
    expect(receipt.success).toBe(true);
    const { fee } = await feeOf(receipt.txHash);
    expect(fee).toBeGreaterThan(0n);
    expect(await balancesAround(receipt.blockNumber, carol.address)).toEqual({ alpha: -1n, path: -fee });
  });
});
