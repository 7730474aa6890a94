import { bytesToBigInt, encodeDeployData, type Hex, parseEventLogs, type TransactionReceipt } from 'viem';
import { compareBytes, fromHex, toHex } from '../../protocol/bytes.ts';
import type { EscrowDomain } from '../../protocol/escrow/escrow-eip712.ts';
import type { EscrowPayment } from '../../protocol/escrow/escrow-payment.ts';
import { ChainError, type ChainHead } from '../chain-port.ts';
import { DEVNET_FEES } from '../tempo-tx.ts';
import { ALLEGRO_ESCROW_ABI, ALLEGRO_ESCROW_BYTECODE } from './allegro-escrow-artifact.ts';
import {
  announceWithdrawalCall,
  completeWithdrawalCall,
  depositCalls,
  type EscrowSettlement,
  paymentArg,
  rotateCommitteeCall,
  settleCall,
  settleChainCall,
} from './escrow-calls.ts';
import { type EscrowNode, type EscrowSender, type EscrowTxOptions, openEscrowNode } from './escrow-node.ts';

export type { EscrowSender, EscrowTxOptions } from './escrow-node.ts';

/** An included, successful escrow transaction. */
export interface EscrowReceipt {
  readonly txHash: Uint8Array;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
}

/** The committee registered in the escrow: settlement-key addresses (ascending) and signatures needed. */
export interface EscrowCommittee {
  readonly epoch: bigint;
  readonly threshold: bigint;
  readonly members: readonly Uint8Array[];
}

/** A withdrawal announced and not yet completed. */
export interface EscrowWithdrawal {
  readonly id: bigint;
  readonly owner: Uint8Array;
  readonly token: Uint8Array;
  readonly amount: bigint;
  /** Unix seconds from which `completeWithdrawal` succeeds. */
  readonly executableAt: bigint;
}

/** The AllegroEscrow contract at one address, read as of a block and written with 0x76 transactions. */
export interface EscrowChain {
  readonly address: Uint8Array;
  readonly domain: EscrowDomain;
  /** The latest block of the node behind the escrow. */
  head(): Promise<ChainHead>;
  /** W: seconds between a withdrawal's announcement and its earliest completion. */
  withdrawalDelay(): Promise<bigint>;
  committee(blockNumber?: bigint): Promise<EscrowCommittee>;
  /** Escrowed balance of `owner` in `token` (deposits and settled credits, minus settled debits). */
  balanceOf(owner: Uint8Array, token: Uint8Array, blockNumber?: bigint): Promise<bigint>;
  /** Sum of `owner`'s announced, not yet completed withdrawals of `token`: sidecars count it as spent. */
  announcedOf(owner: Uint8Array, token: Uint8Array, blockNumber?: bigint): Promise<bigint>;
  /** Announced, not yet completed withdrawals (ids from `fromId`, default 1). */
  withdrawals(blockNumber?: bigint, fromId?: bigint): Promise<EscrowWithdrawal[]>;
  usedSeq(payer: Uint8Array, lane: Uint8Array, seq: bigint, blockNumber?: bigint): Promise<boolean>;
  /** One above the highest settled sequence of the lane (0 when none). */
  nextSeq(payer: Uint8Array, lane: Uint8Array, blockNumber?: bigint): Promise<bigint>;
  isSettled(paymentId: Uint8Array, blockNumber?: bigint): Promise<boolean>;
  /** The block whose `PaymentSettled` event settled `paymentId`, searched in [fromBlock, toBlock]. */
  settledIn(
    paymentId: Uint8Array,
    fromBlock: bigint,
    toBlock: bigint,
  ): Promise<{ readonly blockNumber: bigint; readonly blockHash: Uint8Array } | undefined>;
  /** The contract's own payment id / payer digest (for parity checks with escrowPaymentDigest). */
  paymentDigest(payment: EscrowPayment): Promise<Uint8Array>;
  /** The contract's own settlement digest (for parity checks with escrowSettlementDigest). */
  settlementDigest(payment: EscrowPayment, epoch: bigint): Promise<Uint8Array>;
  /** The contract's own rotation digest (for parity checks with escrowRotationDigest). */
  rotationDigest(toEpoch: bigint, members: readonly Uint8Array[], threshold: bigint): Promise<Uint8Array>;
  /** TIP-20 approve + deposit in one 0x76 transaction. */
  deposit(
    sender: EscrowSender,
    token: Uint8Array,
    amount: bigint,
    tx?: EscrowTxOptions,
  ): Promise<EscrowReceipt>;
  settle(sender: EscrowSender, settlement: EscrowSettlement, tx?: EscrowTxOptions): Promise<EscrowReceipt>;
  settleChain(
    sender: EscrowSender,
    parent: EscrowSettlement,
    child: EscrowSettlement,
    tx?: EscrowTxOptions,
  ): Promise<EscrowReceipt>;
  announceWithdrawal(
    sender: EscrowSender,
    token: Uint8Array,
    amount: bigint,
    tx?: EscrowTxOptions,
  ): Promise<EscrowReceipt & { readonly withdrawal: EscrowWithdrawal }>;
  completeWithdrawal(sender: EscrowSender, id: bigint, tx?: EscrowTxOptions): Promise<EscrowReceipt>;
  rotateCommittee(
    sender: EscrowSender,
    members: readonly Uint8Array[],
    threshold: bigint,
    signatures: readonly Uint8Array[],
    tx?: EscrowTxOptions,
  ): Promise<EscrowReceipt>;
  /** Releases the node connections. */
  close(): Promise<void>;
}

export interface DeployEscrowOptions {
  readonly rpcUrl: string;
  readonly deployer: EscrowSender;
  /** Settlement-key addresses of the initial committee (epoch 0), any order: they are sorted. */
  readonly committee: readonly Uint8Array[];
  /** Signatures a QC needs: n − floor((n−1)/3) ≤ threshold ≤ n. */
  readonly threshold: bigint;
  /** W in seconds. */
  readonly withdrawalDelay: bigint;
}

/** Gas for the deployment: the creation code plus new state on TIP-1000 networks. */
const DEPLOY_GAS = 6_000_000n;

/** Deploys AllegroEscrow in a 0x76 transaction from `deployer` (fees in pathUSD) and connects to it. */
export async function deployEscrow(options: DeployEscrowOptions): Promise<EscrowChain> {
  const node = await openEscrowNode(options.rpcUrl);
  try {
    const members = [...options.committee].sort(compareBytes).map(toHex);
    const create = encodeDeployData({
      abi: ALLEGRO_ESCROW_ABI,
      bytecode: ALLEGRO_ESCROW_BYTECODE,
      args: [members, options.threshold, options.withdrawalDelay],
    });
    const receipt = await node.send(options.deployer, [{ create: fromHex(create) }], {
      fees: { ...DEVNET_FEES, gas: DEPLOY_GAS },
    });
    if (!receipt.contractAddress) {
      throw new ChainError('REJECTED', `no contract in ${receipt.transactionHash}`);
    }
    return escrowAt(node, fromHex(receipt.contractAddress, 20));
  } catch (err) {
    await node.close();
    throw err;
  }
}

/** Connects to an AllegroEscrow at `escrow` through the node at `rpcUrl`. */
export async function connectEscrow(options: { rpcUrl: string; escrow: Uint8Array }): Promise<EscrowChain> {
  return escrowAt(await openEscrowNode(options.rpcUrl), options.escrow);
}

function escrowAt(node: EscrowNode, address: Uint8Array): EscrowChain {
  const { client, chain } = node;
  const to = toHex(address);
  const at = (blockNumber: bigint | undefined) => (blockNumber === undefined ? {} : { blockNumber });

  const read = <T>(functionName: string, args: readonly unknown[], blockNumber?: bigint): Promise<T> => {
    const request = { address: to, abi: ALLEGRO_ESCROW_ABI, functionName, args, ...at(blockNumber) };
    return client.readContract(request as never) as Promise<T>;
  };

  const done = (r: TransactionReceipt): EscrowReceipt => ({
    txHash: fromHex(r.transactionHash, 32),
    blockNumber: r.blockNumber,
    gasUsed: r.gasUsed,
  });

  const withdrawalAt = async (id: bigint, blockNumber?: bigint): Promise<EscrowWithdrawal | undefined> => {
    const [owner, token, amount, executableAt] = await read<[Hex, Hex, bigint, bigint]>(
      'withdrawals',
      [id],
      blockNumber,
    );
    if (bytesToBigInt(fromHex(owner)) === 0n) return undefined;
    return { id, owner: fromHex(owner, 20), token: fromHex(token, 20), amount, executableAt };
  };

  return {
    address,
    domain: { chainId: node.chainId, escrow: address },
    head: () => chain.head(),
    withdrawalDelay: () => read<bigint>('withdrawalDelay', []),
    async committee(blockNumber) {
      const [epoch, threshold, members] = await read<[bigint, bigint, readonly Hex[]]>(
        'committee',
        [],
        blockNumber,
      );
      return { epoch, threshold, members: members.map((m) => fromHex(m, 20)) };
    },
    balanceOf: (owner, token, blockNumber) => read('balanceOf', [toHex(owner), toHex(token)], blockNumber),
    announcedOf: (owner, token, blockNumber) =>
      read('announcedOf', [toHex(owner), toHex(token)], blockNumber),
    async withdrawals(blockNumber, fromId = 1n) {
      const count = await read<bigint>('withdrawalCount', [], blockNumber);
      const ids = Array.from(
        { length: Math.max(0, Number(count - fromId + 1n)) },
        (_, i) => fromId + BigInt(i),
      );
      const found = await Promise.all(ids.map((id) => withdrawalAt(id, blockNumber)));
      return found.filter((w): w is EscrowWithdrawal => w !== undefined);
    },
    usedSeq: (payer, lane, seq, blockNumber) =>
      read('usedSeq', [toHex(payer), bytesToBigInt(lane), seq], blockNumber),
    nextSeq: (payer, lane, blockNumber) => read('nextSeq', [toHex(payer), bytesToBigInt(lane)], blockNumber),
    isSettled: (paymentId, blockNumber) => read('settled', [toHex(paymentId)], blockNumber),
    async settledIn(paymentId, fromBlock, toBlock) {
      const logs = await client.getContractEvents({
        address: to,
        abi: ALLEGRO_ESCROW_ABI,
        eventName: 'PaymentSettled',
        args: { id: toHex(paymentId) },
        fromBlock,
        toBlock,
      });
      const [log] = logs;
      return log?.blockHash && log.blockNumber !== null
        ? { blockNumber: log.blockNumber, blockHash: fromHex(log.blockHash, 32) }
        : undefined;
    },
    paymentDigest: async (payment) => fromHex(await read<Hex>('paymentDigest', [paymentArg(payment)]), 32),
    settlementDigest: async (payment, epoch) =>
      fromHex(await read<Hex>('settlementDigest', [paymentArg(payment), epoch]), 32),
    rotationDigest: async (toEpoch, members, threshold) =>
      fromHex(await read<Hex>('rotationDigest', [toEpoch, members.map(toHex), threshold]), 32),
    deposit: async (sender, token, amount, tx) =>
      done(await node.send(sender, depositCalls(address, token, amount), tx)),
    settle: async (sender, settlement, tx) =>
      done(await node.send(sender, [settleCall(address, settlement)], tx)),
    settleChain: async (sender, parent, child, tx) =>
      done(await node.send(sender, [settleChainCall(address, parent, child)], tx)),
    async announceWithdrawal(sender, token, amount, tx) {
      const receipt = await node.send(sender, [announceWithdrawalCall(address, token, amount)], tx);
      const [log] = parseEventLogs({
        abi: ALLEGRO_ESCROW_ABI,
        eventName: 'WithdrawalAnnounced',
        logs: receipt.logs,
      });
      if (!log) throw new ChainError('REJECTED', `no WithdrawalAnnounced in ${receipt.transactionHash}`);
      const { id, owner, amount: announced, executableAt } = log.args;
      const withdrawal = { id, owner: fromHex(owner, 20), token, amount: announced, executableAt };
      return { ...done(receipt), withdrawal };
    },
    completeWithdrawal: async (sender, id, tx) =>
      done(await node.send(sender, [completeWithdrawalCall(address, id)], tx)),
    rotateCommittee: async (sender, members, threshold, signatures, tx) =>
      done(await node.send(sender, [rotateCommitteeCall(address, members, threshold, signatures)], tx)),
    close: () => node.close(),
  };
}
