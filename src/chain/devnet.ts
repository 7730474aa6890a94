import { encodeFunctionData } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { Abis, Addresses } from 'viem/tempo';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { type AnvilOptions, startAnvil } from './anvil-process.ts';
import { ChainError, type ChainPort } from './chain-port.ts';
import { DEMO_ACCOUNTS, type DemoAccount } from './demo-accounts.ts';
import { deployEscrow } from './escrow/escrow-chain.ts';
import { ALPHA_USD, PATH_USD, TIP20_DECIMALS } from './tempo-tokens.ts';
import { tip20TransferCall } from './tempo-transfer.ts';
import { DEVNET_FEES, signTempoTx, type TempoCall } from './tempo-tx.ts';
import { createViemChain } from './viem-chain.ts';
import { waitForReceipt } from './wait-for-receipt.ts';

/** anvil's dev account #0 ("test … junk" mnemonic): holds 2^64−1 base units of each TIP-20 precompile. */
const FUNDER = {
  privateKey: fromHex('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', 32),
  address: fromHex('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 20),
};

const PROTOCOL_NONCE_KEY = new Uint8Array(32);
/** Funding calls per setup tx: more would exceed the block gas limit (about 40 accounts' worth). */
const FUNDING_CALLS_PER_TX = 64;

export interface DevnetOptions extends Pick<AnvilOptions, 'port' | 'blockTime' | 'chainId' | 'state'> {
  /** pathUSD given to each demo account for fees, in base units. Default 10 pathUSD. */
  readonly feeAllowance?: bigint;
  /** The accounts to fund, each with its `alphaUsd`. Default: Alice, Bob and Carol (DEMO_ACCOUNTS). */
  readonly accounts?: readonly DemoAccount[];
  /** Called with a short line before each step that takes more than a moment (start, funding, fee tokens). */
  readonly progress?: (step: string) => void;
  /** Escrow mode: deploy an AllegroEscrow and move every account's AlphaUSD into it. */
  readonly escrow?: DevnetEscrowOptions;
}

export interface DevnetEscrowOptions {
  /** The validators' secp256k1 settlement keys: registered as the committee and given pathUSD for fees. */
  readonly settlementKeys: readonly Uint8Array[];
  /** Default: 2f+1 of the keys. */
  readonly threshold?: bigint;
  /** W in seconds. */
  readonly withdrawalDelay: bigint;
}

/** The escrow a devnet deployed. */
export interface DevnetEscrow {
  readonly address: Uint8Array;
  readonly withdrawalDelay: bigint;
  readonly threshold: bigint;
}

export interface DevnetToken {
  readonly name: string;
  readonly address: Uint8Array;
  readonly decimals: number;
}

/** A funded demo account and its balances once the devnet is ready. */
export interface DevnetAccount extends DemoAccount {
  readonly pathUsd: bigint;
}

export interface Devnet {
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly chainId: bigint;
  /** pid of the anvil process. */
  readonly pid: number;
  readonly accounts: readonly DevnetAccount[];
  /** The payment asset and the fee token. */
  readonly tokens: { readonly alphaUsd: DevnetToken; readonly pathUsd: DevnetToken };
  /** Set in escrow mode: the accounts' AlphaUSD sits in it. */
  readonly escrow?: DevnetEscrow;
  /** Stops anvil (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

/**
 * Starts `anvil --network tempo` and prepares the demo: dev account #0 sends Alice 15, Bob 5 and Carol 5
 * AlphaUSD (or each of `options.accounts` its `alphaUsd`) plus a pathUSD fee allowance; then each account
 * sets its fee-token preference to pathUSD (FeeManager `setUserToken`, paid in pathUSD). Tempo charges fees
 * in the tx's `feeToken`, else the sender's preference, else the token a TIP-20 transfer calls, so AlphaUSD
 * balances stay exact even for transactions without a `feeToken`. Fails (and stops anvil) unless every
 * AlphaUSD balance is exact. In escrow mode it then deploys an AllegroEscrow whose committee is the settlement
 * keys (funded with pathUSD: a settling sidecar pays the fee) and each account deposits all its AlphaUSD.
 */
export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const progress = options.progress ?? (() => {});
  progress('starting anvil --network tempo');
  const anvil = await startAnvil(options);
  const chain = createViemChain({ rpcUrl: anvil.rpcUrl });
  try {
    const chainId = await chain.chainId();
    const allowance = options.feeAllowance ?? 10_000000n;
    const demo = options.accounts ?? DEMO_ACCOUNTS;
    const settlers = (options.escrow?.settlementKeys ?? []).map((k) =>
      fromHex(privateKeyToAddress(toHex(k)), 20),
    );
    const funding = [
      ...demo.flatMap((a) => [
        tip20TransferCall(ALPHA_USD, a.address, a.alphaUsd),
        tip20TransferCall(PATH_USD, a.address, allowance),
      ]),
      ...settlers.map((address) => tip20TransferCall(PATH_USD, address, allowance)),
    ];
    progress(`funding ${demo.map((a) => a.name).join(', ')} with AlphaUSD and pathUSD`);
    for (let i = 0; i < funding.length; i += FUNDING_CALLS_PER_TX) {
      const calls = funding.slice(i, i + FUNDING_CALLS_PER_TX);
      const gas = 5_000_000n + BigInt(calls.length) * 300_000n;
      await settle(chain, [await signProtocolTx(chain, chainId, FUNDER, calls, gas)]);
    }

    const setPathUsd: TempoCall = {
      to: fromHex(Addresses.feeManager),
      data: fromHex(
        encodeFunctionData({ abi: Abis.feeManager, functionName: 'setUserToken', args: [toHex(PATH_USD)] }),
      ),
    };
    progress("setting each account's fee token to pathUSD (one block)");
    await settle(chain, await Promise.all(demo.map((a) => signProtocolTx(chain, chainId, a, [setPathUsd]))));

    const escrow =
      options.escrow && (await deployDevnetEscrow(anvil.rpcUrl, options.escrow, settlers, demo, progress));
    const at = (await chain.head()).height;
    const accounts = await Promise.all(
      demo.map(async (a) => {
        const alphaUsd = await chain.balanceOf(ALPHA_USD, a.address, at);
        if (alphaUsd !== (escrow ? 0n : a.alphaUsd)) {
          throw new ChainError('REJECTED', `${a.name} holds ${alphaUsd} AlphaUSD units, not ${a.alphaUsd}`);
        }
        return { ...a, pathUsd: await chain.balanceOf(PATH_USD, a.address, at) };
      }),
    );
    return {
      rpcUrl: anvil.rpcUrl,
      wsUrl: anvil.wsUrl,
      chainId,
      pid: anvil.pid,
      accounts,
      tokens: {
        alphaUsd: { name: 'AlphaUSD', address: ALPHA_USD, decimals: TIP20_DECIMALS },
        pathUsd: { name: 'pathUSD', address: PATH_USD, decimals: TIP20_DECIMALS },
      },
      ...(escrow ? { escrow } : {}),
      stop: () => anvil.stop(),
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  } finally {
    await chain.close();
  }
}

/** Deploys the escrow (from the funder) and deposits each account's AlphaUSD; checks the escrow balances. */
async function deployDevnetEscrow(
  rpcUrl: string,
  options: DevnetEscrowOptions,
  committee: readonly Uint8Array[],
  demo: readonly DemoAccount[],
  progress: (step: string) => void,
): Promise<DevnetEscrow> {
  const threshold = options.threshold ?? BigInt(committee.length - Math.floor((committee.length - 1) / 3));
  progress(
    `deploying AllegroEscrow (committee of ${committee.length}, threshold ${threshold}, W ${options.withdrawalDelay} s)`,
  );
  const escrow = await deployEscrow({
    rpcUrl,
    deployer: FUNDER,
    committee,
    threshold,
    withdrawalDelay: options.withdrawalDelay,
  });
  try {
    progress(`depositing ${demo.map((a) => a.name).join(', ')}'s AlphaUSD into the escrow`);
    await Promise.all(demo.map((a) => escrow.deposit(a, ALPHA_USD, a.alphaUsd)));
    for (const a of demo) {
      const held = await escrow.balanceOf(a.address, ALPHA_USD);
      if (held !== a.alphaUsd)
        throw new ChainError('REJECTED', `${a.name} has ${held} AlphaUSD units in escrow`);
    }
    return { address: escrow.address, withdrawalDelay: options.withdrawalDelay, threshold };
  } finally {
    await escrow.close();
  }
}

/** Signs `calls` from `sender` on its protocol nonce (key 0), fees in pathUSD. */
async function signProtocolTx(
  chain: ChainPort,
  chainId: bigint,
  sender: { privateKey: Uint8Array; address: Uint8Array },
  calls: readonly TempoCall[],
  gas = DEVNET_FEES.gas,
): Promise<Uint8Array> {
  const height = (await chain.head()).height;
  return signTempoTx({
    chainId,
    senderKey: sender.privateKey,
    calls,
    nonceKey: PROTOCOL_NONCE_KEY,
    nonce: await chain.nonce(sender.address, PROTOCOL_NONCE_KEY, height),
    feeToken: PATH_USD,
    fees: { ...DEVNET_FEES, gas },
  });
}

/** Sends the transactions and waits until each is included with status success. */
async function settle(chain: ChainPort, raws: readonly Uint8Array[]): Promise<void> {
  const hashes = await Promise.all(raws.map((raw) => chain.sendRawTransaction(raw)));
  for (const hash of hashes) {
    const receipt = await waitForReceipt(chain, hash, { timeoutMs: 60_000 });
    if (!receipt.success) throw new ChainError('REJECTED', `devnet setup tx ${toHex(hash)} reverted`);
  }
}
