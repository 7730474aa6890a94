import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { encodeFunctionData, keccak256, numberToHex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Abis } from 'viem/tempo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import type { ChainHead, ChainPort } from '../../src/chain/chain-port.ts';
import { ALPHA_USD, PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { signTempoTransfer } from '../../src/chain/tempo-transfer.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { waitForReceipt } from '../../src/chain/wait-for-receipt.ts';
import { fromHex, toHex, U64_MAX } from '../../src/protocol/bytes.ts';
import { eventually } from '../support/eventually.ts';
import { nodeRpc } from '../support/node-rpc.ts';
import { pidAlive } from '../support/pid-alive.ts';

/** anvil dev accounts #1 and #2 ("test … junk" mnemonic). */
const DEV1_KEY = fromHex('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const DEV1 = fromHex('0x70997970c51812dc3a010c7d01b50e0d17dc79c8');
const DEV2 = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');
const PROTOCOL_KEY = new Uint8Array(32);
/** Whole seconds: `evm_setIntervalMining` takes an integer. */
const BLOCK_TIME = 1;

let anvil: AnvilProcess;
let chain: ChainPort;
let chainId: bigint;

beforeAll(async () => {
  anvil = await startAnvil({ blockTime: BLOCK_TIME });
  chain = createViemChain({ rpcUrl: anvil.rpcUrl, wsUrl: anvil.wsUrl });
  chainId = await chain.chainId();
});

afterAll(async () => {
  await chain?.close();
  await anvil?.stop();
  if (anvil) expect(pidAlive(anvil.pid)).toBe(false);
});

const anvilRpc = (method: string, params: unknown[] = []) => nodeRpc(anvil.rpcUrl, method, params);

function transferFromDev1(
  nonceKey: Uint8Array,
  nonce: bigint,
  recipient: Uint8Array,
  amount: bigint,
): Uint8Array {
  return signTempoTransfer({
    chainId,
    senderKey: DEV1_KEY,
    recipient,
    amount,
    nonceKey,
    nonce,
    feeToken: PATH_USD,
  });
}

function collectHeads(port: ChainPort, count: number): Promise<ChainHead[]> {
  return new Promise((resolve, reject) => {
    const heads: ChainHead[] = [];
    const stop = port.watchHeads(
      (h) => {
        heads.push(h);
        if (heads.length === count) {
          stop();
          resolve(heads);
        }
      },
      (e) => {
        stop();
        reject(e);
      },
    );
  });
}

function expectIncreasing(heads: ChainHead[]): void {
  for (let i = 1; i < heads.length; i++) {
    expect(heads[i]!.height).toBeGreaterThan(heads[i - 1]!.height);
    expect(heads[i]!.timestampMs).toBeGreaterThanOrEqual(heads[i - 1]!.timestampMs);
  }
}

describe('createViemChain against anvil --network tempo', () => {
  it('reports the chain id and a head with a 32-byte hash and a millisecond timestamp', async () => {
    expect(chainId).toBe(31337n);
    const head = await chain.head();
    expect(head.hash).toHaveLength(32);
    expect(Number(head.timestampMs)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(head.timestampMs)).toBeLessThan(Date.now() + 60_000);
  });

  it('reads TIP-20 balances at a block: dev accounts hold 2^64-1 pathUSD, a fresh address nothing', async () => {
    const { height } = await chain.head();
    expect(await chain.balanceOf(PATH_USD, DEV1, height)).toBe(U64_MAX);
    expect(await chain.balanceOf(ALPHA_USD, randomBytes(20), height)).toBe(0n);
  });

  it('sends a 0x76 transfer and reads its receipt, the balance and the 2D nonce before and after its block', async () => {
    const nonceKey = randomBytes(32);
    const recipient = randomBytes(20);
    const before = (await chain.head()).height;
    expect(await chain.nonce(DEV1, nonceKey, before)).toBe(0n);

    const raw = transferFromDev1(nonceKey, 0n, recipient, 1_234567n);
    const hash = await chain.sendRawTransaction(raw);
    expect(toHex(hash)).toBe(keccak256(raw));
    const receipt = await waitForReceipt(chain, hash);

    expect(receipt.success).toBe(true);
    expect(receipt.txHash).toEqual(hash);
    expect(receipt.blockHash).toHaveLength(32);
    const block = receipt.blockNumber;
    expect(await chain.nonce(DEV1, nonceKey, block - 1n)).toBe(0n);
    expect(await chain.nonce(DEV1, nonceKey, block)).toBe(1n);
    expect(await chain.balanceOf(ALPHA_USD, recipient, block - 1n)).toBe(0n);
    expect(await chain.balanceOf(ALPHA_USD, recipient, block)).toBe(1_234567n);
  });

  it('reads nonce key 0 as the protocol nonce (eth_getTransactionCount)', async () => {
    const { height } = await chain.head();
    const count = BigInt(
      (await anvilRpc('eth_getTransactionCount', [toHex(DEV1), numberToHex(height)])) as string,
    );
    expect(await chain.nonce(DEV1, PROTOCOL_KEY, height)).toBe(count);
  });

  it('returns no receipt for an unknown transaction', async () => {
    expect(await chain.receipt(randomBytes(32))).toBeUndefined();
  });

  it('maps a resent pending 0x76 transaction to ALREADY_KNOWN', async () => {
    const raw = transferFromDev1(randomBytes(32), 0n, randomBytes(20), 1n);
    await anvilRpc('evm_setIntervalMining', [0]);
    try {
      await chain.sendRawTransaction(raw);
      await expect(chain.sendRawTransaction(raw)).rejects.toMatchObject({ code: 'ALREADY_KNOWN' });
    } finally {
      await anvilRpc('evm_setIntervalMining', [BLOCK_TIME]);
    }
    expect((await waitForReceipt(chain, fromHex(keccak256(raw)))).success).toBe(true);
  });

  it('maps a resent mined EIP-1559 transaction to NONCE_TOO_LOW', async () => {
    const nonce = await chain.nonce(fromHex(DEV2.address), PROTOCOL_KEY, (await chain.head()).height);
    const raw = await DEV2.signTransaction({
      chainId: Number(chainId),
      type: 'eip1559',
      to: toHex(PATH_USD),
      data: encodeFunctionData({ abi: Abis.tip20, functionName: 'transfer', args: [toHex(DEV1), 1n] }),
      nonce: Number(nonce),
      gas: 1_000_000n,
      maxFeePerGas: 20_000_000_000n,
      maxPriorityFeePerGas: 0n,
    });
    await waitForReceipt(chain, await chain.sendRawTransaction(fromHex(raw)));
    await expect(chain.sendRawTransaction(fromHex(raw))).rejects.toMatchObject({ code: 'NONCE_TOO_LOW' });
  });

  it('anvil answers a resent mined 0x76 transaction with its hash instead of an error; the receipt still shows one inclusion', async () => {
    const raw = transferFromDev1(randomBytes(32), 0n, randomBytes(20), 1n);
    const receipt = await waitForReceipt(chain, await chain.sendRawTransaction(raw));
    expect(await chain.sendRawTransaction(raw)).toEqual(receipt.txHash);
    await collectHeads(chain, 2);
    expect(await chain.receipt(receipt.txHash)).toEqual(receipt);
  });

  it('maps a transfer whose fee payer has no pathUSD to INSUFFICIENT_FUNDS', async () => {
    const raw = signTempoTransfer({
      chainId,
      senderKey: randomBytes(32),
      recipient: DEV1,
      amount: 1n,
      nonceKey: randomBytes(32),
      nonce: 0n,
      feeToken: PATH_USD,
    });
    await expect(chain.sendRawTransaction(raw)).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
  });

  it('maps a validBefore in the past to EXPIRED', async () => {
    const raw = signTempoTransfer({
      chainId,
      senderKey: DEV1_KEY,
      recipient: DEV1,
      amount: 1n,
      nonceKey: randomBytes(32),
      nonce: 0n,
      feeToken: PATH_USD,
      validBefore: BigInt(Math.floor(Date.now() / 1000) - 10),
    });
    await expect(chain.sendRawTransaction(raw)).rejects.toMatchObject({ code: 'EXPIRED' });
  });

  it('watches increasing heads over a WebSocket newHeads subscription', async () => {
    const heads = await collectHeads(chain, 3);
    expectIncreasing(heads);
    expect(heads[2]!.height - heads[0]!.height).toBe(2n);
  });

  it('watches increasing heads by polling over HTTP when there is no WebSocket URL', async () => {
    const polling = createViemChain({ rpcUrl: anvil.rpcUrl, pollIntervalMs: 100 });
    try {
      expectIncreasing(await collectHeads(polling, 3));
    } finally {
      await polling.close();
    }
  });

  it('delivers no more heads after unsubscribing', async () => {
    let delivered = 0;
    const stop = chain.watchHeads(
      () => delivered++,
      () => {},
    );
    await collectHeads(chain, 2);
    stop();
    const seen = delivered;
    expect(seen).toBeGreaterThan(0);
    await collectHeads(chain, 2);
    expect(delivered).toBe(seen);
  });

  it('reads pathUSD as usable for fees and a TIP-20 address without a contract as not usable', async () => {
    const { height } = await chain.head();
    expect(await chain.feeTokenUsable(PATH_USD, height)).toBe(true);
    const undeployed = fromHex('0x20c00000000000000000000000000000000fffff', 20);
    expect(await chain.feeTokenUsable(undeployed, height)).toBe(false);
  });

  it('an unreachable node is UNAVAILABLE for every read, never a verdict: pathUSD is not read as unusable for fees', async () => {
    const dead = createViemChain({ rpcUrl: `http://127.0.0.1:${await closedPort()}` });
    const unavailable = { code: 'UNAVAILABLE' };
    await expect(dead.feeTokenUsable(PATH_USD, 1n)).rejects.toMatchObject(unavailable);
    await expect(dead.balanceOf(PATH_USD, DEV1, 1n)).rejects.toMatchObject(unavailable);
    await expect(dead.nonce(DEV1, new Uint8Array(32).fill(1), 1n)).rejects.toMatchObject(unavailable);
    await expect(dead.nonce(DEV1, PROTOCOL_KEY, 1n)).rejects.toMatchObject(unavailable);
    await expect(dead.block(1n)).rejects.toMatchObject(unavailable);
    await expect(dead.receipt(new Uint8Array(32))).rejects.toMatchObject(unavailable);
  });

  it('maps an unreachable node to UNAVAILABLE', async () => {
    const dead = createViemChain({ rpcUrl: `http://127.0.0.1:${await closedPort()}` });
    await expect(dead.head()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(dead.sendRawTransaction(new Uint8Array([0x76]))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});

describe('watchHeads when the node goes away', () => {
  it('reports UNAVAILABLE over WebSocket and over HTTP polling', async () => {
    const node = await startAnvil({ blockTime: 0.2 });
    const ws = createViemChain({ rpcUrl: node.rpcUrl, wsUrl: node.wsUrl });
    const http = createViemChain({ rpcUrl: node.rpcUrl, pollIntervalMs: 50 });
    try {
      const errors = (port: ChainPort): Promise<Error> =>
        new Promise((resolve) => {
          const stop = port.watchHeads(
            () => {},
            (e) => {
              stop();
              resolve(e);
            },
          );
        });
      await collectHeads(ws, 1);
      const wsError = errors(ws);
      const httpError = errors(http);
      await node.stop();
      expect(await wsError).toMatchObject({ code: 'UNAVAILABLE' });
      expect(await httpError).toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await ws.close();
      await http.close();
      await node.stop();
    }
    expect(pidAlive(node.pid)).toBe(false);
  });
});

describe('watchHeads when the node comes back', () => {
  it('over WebSocket, delivers heads again as soon as the node is back on its port, however long the reconnect backoff', async () => {
    let node = await startAnvil({ blockTime: 0.2 });
    const { port } = node;
    const chain = createViemChain({
      rpcUrl: node.rpcUrl,
      wsUrl: node.wsUrl,
      // Ten minutes before the socket retries on its own.
      backoff: { initialMs: 600_000, maxMs: 600_000, random: () => 1 },
      pollIntervalMs: 50,
    });
    const heads: ChainHead[] = [];
    let errors = 0;
    const stop = chain.watchHeads(
      (h) => heads.push(h),
      () => errors++,
    );
    try {
      await eventually(() => expect(heads.length).toBeGreaterThan(0), 20_000);
      await node.stop();
      await eventually(() => expect(errors).toBeGreaterThan(0), 20_000);
      const seen = heads.length;
      node = await startAnvil({ port, blockTime: 0.2 });
      await eventually(() => expect(heads.length).toBeGreaterThan(seen + 3), 20_000);
    } finally {
      stop();
      await chain.close();
      await node.stop();
    }
    expect(pidAlive(node.pid)).toBe(false);
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
