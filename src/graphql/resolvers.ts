import type { ChainPort } from '../chain/chain-port.ts';
import { DEMO_ACCOUNTS } from '../chain/demo-accounts.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { faultTolerance, quorumThreshold } from '../protocol/committee.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { type Reject, rejectCodeName } from '../protocol/reject.ts';
import type { ApiStage } from '../protocol/stage.ts';
import type { Aggregator, ValidatorRejection } from '../services/aggregator/aggregator.ts';
import type { AggregatorMetrics } from '../services/aggregator/aggregator-metrics.ts';
import { certificateNode, chainHeadNode, validatorNode } from '../services/aggregator/api-nodes.ts';
import { nextSequence } from '../services/aggregator/next-sequence.ts';
import { signedPaymentRequest } from '../services/aggregator/signed-payment-request.ts';
import { apiError } from './api-error.ts';
import type { EventBus } from './event-bus.ts';
import { addressScalar, bigIntScalar, hexScalar } from './scalars.ts';
import { deduplicated, startingWith } from './subscription-streams.ts';

export interface ResolverDeps {
  readonly aggregator: Aggregator;
  readonly bus: EventBus;
  readonly suite: CryptoSuite;
  readonly metrics: AggregatorMetrics;
  /** The aggregator's Tempo node; chain reads answer null without it. */
  readonly chain?: ChainPort;
  /** Started for a development chain. */
  readonly devnet?: boolean;
}

const MAX_PAYMENTS_PAGE = 100;
const MAX_BOARD_PAGE = 500;
const MAX_BALANCES = 20;

interface SubmitPaymentInput {
  readonly signedTx: string;
  readonly nonceKey?: string | null;
  readonly sequence?: bigint | null;
  readonly expiryUnixMillis?: bigint | null;
  readonly parentQcHash?: string | null;
  readonly clientRequestId?: string | null;
}

/** The resolvers of schema.graphql over the Aggregator; results are the API nodes, field for field. */
export function resolvers({ aggregator, bus, suite, metrics, chain, devnet = false }: ResolverDeps) {
  const { committee } = aggregator;
  const counted = (operation: string) => metrics.requests.inc({ api: 'graphql', operation });
  const tx32 = (txHash: string) => {
    if (txHash.length !== 66)
      throw apiError('INVALID_HEX', `txHash must be 32 bytes, got ${(txHash.length - 2) / 2}`);
    return txHash;
  };
  const range = (name: string, value: number, max: number) => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw apiError('INVALID_ARGUMENT', `${name} must be between 1 and ${max}, got ${value}`);
    }
    return value;
  };
  return {
    BigInt: bigIntScalar,
    Hex: hexScalar,
    Address: addressScalar,
    Query: {
      chainHead: () => {
        counted('chainHead');
        const head = aggregator.head();
        return head ? chainHeadNode(head, aggregator.headSource) : null;
      },
      committee: () => {
        counted('committee');
        return {
          chainId: committee.chainId,
          epoch: committee.epoch,
          threshold: quorumThreshold(committee),
          faultTolerance: faultTolerance(committee),
          validators: committee.members.map(validatorNode),
        };
      },
      validators: () => {
        counted('validators');
        return committee.members.map(validatorNode);
      },
      payment: async (_: unknown, args: { txHash: string }) => {
        counted('payment');
        return (await aggregator.lookup(tx32(args.txHash))) ?? null;
      },
      payments: async (
        _: unknown,
        args: { address?: string | null; stage?: ApiStage | null; first: number; after?: string | null },
      ) => {
        counted('payments');
        let page: Awaited<ReturnType<Aggregator['payments']>>;
        try {
          page = await aggregator.payments({
            first: range('first', args.first, MAX_PAYMENTS_PAGE),
            ...(args.address ? { address: args.address } : {}),
            ...(args.stage ? { stage: args.stage } : {}),
            ...(args.after ? { after: args.after } : {}),
          });
        } catch (error) {
          throw apiError('INVALID_ARGUMENT', (error as Error).message);
        }
        return {
          nodes: page.items,
          pageInfo: { endCursor: page.endCursor ?? null, hasNextPage: page.hasNextPage },
        };
      },
      quorumCertificate: async (_: unknown, args: { txHash: string }) => {
        counted('quorumCertificate');
        const payment = await aggregator.lookup(tx32(args.txHash));
        return payment?.quorumCertificate ?? null;
      },
      bulletinBoard: async (
        _: unknown,
        args: {
          txHash?: string | null;
          address?: string | null;
          sinceUnixMillis?: bigint | null;
          limit: number;
          after?: string | null;
        },
      ) => {
        counted('bulletinBoard');
        const page = await aggregator.bulletinBoard({
          ...(args.txHash ? { txHash: fromHex(tx32(args.txHash)) } : {}),
          ...(args.address ? { address: fromHex(args.address) } : {}),
          ...(args.sinceUnixMillis !== null && args.sinceUnixMillis !== undefined
            ? { sinceUnixMillis: args.sinceUnixMillis }
            : {}),
          limit: range('limit', args.limit, MAX_BOARD_PAGE),
          cursor: args.after ?? '',
        });
        if (!page.ok) throw apiError('INVALID_ARGUMENT', page.message);
        return {
          certificates: page.certs.map((c) => certificateNode(committee, c)),
          nextCursor: page.nextCursor || null,
        };
      },
      devnet: () => devnet,
      namedAccounts: () =>
        devnet ? DEMO_ACCOUNTS.map((a) => ({ name: a.name, address: toHex(a.address) })) : [],
      balances: async (_: unknown, args: { addresses: string[]; asset: string }) => {
        counted('balances');
        if (args.addresses.length > MAX_BALANCES) {
          throw apiError(
            'INVALID_ARGUMENT',
            `at most ${MAX_BALANCES} addresses, got ${args.addresses.length}`,
          );
        }
        if (!chain) return null;
        const head = await chain.head();
        return Promise.all(
          args.addresses.map(async (address) => ({
            address,
            asset: args.asset,
            amount: await chain.balanceOf(fromHex(args.asset), fromHex(address), head.height),
            escrowed: null,
            atBlock: head.height,
          })),
        );
      },
      nextSequence: (_: unknown, args: { address: string; nonceKey: string }) => {
        counted('nextSequence');
        if (args.nonceKey.length !== 66) throw apiError('INVALID_HEX', 'nonceKey must be 32 bytes');
        return chain ? nextSequence(aggregator, chain, fromHex(args.address), fromHex(args.nonceKey)) : null;
      },
    },
    Mutation: {
      submitPayment: async (_: unknown, { input }: { input: SubmitPaymentInput }) => {
        counted('submitPayment');
        const built = signedPaymentRequest(suite, {
          signedTx: fromHex(input.signedTx),
          ...(input.nonceKey ? { nonceKey: fromHex(input.nonceKey) } : {}),
          ...(input.sequence !== null && input.sequence !== undefined ? { sequence: input.sequence } : {}),
          ...(input.expiryUnixMillis !== null && input.expiryUnixMillis !== undefined
            ? { expiryUnixMillis: input.expiryUnixMillis }
            : {}),
          ...(input.parentQcHash ? { parentQcHash: fromHex(input.parentQcHash) } : {}),
          ...(input.clientRequestId ? { clientRequestId: input.clientRequestId } : {}),
        });
        if (!built.ok) throw invalidPayment(built.reject);
        const outcome = await aggregator.submit(built.request);
        if (!outcome.ok) throw invalidPayment(outcome.reject);
        const { payment, qc, rejections } = outcome.submission;
        return { payment, qcFormed: qc !== undefined, rejections: rejections.map(rejectionNode) };
      },
    },
    Subscription: {
      paymentUpdated: {
        subscribe: (_: unknown, args: { txHash?: string | null; address?: string | null }) => {
          counted('paymentUpdated');
          const current = args.txHash ? aggregator.payment(args.txHash) : undefined;
          const matches = (p: { txHash: string; sender: string; recipient: string }) =>
            (!args.txHash || p.txHash === args.txHash) &&
            (!args.address || p.sender === args.address || p.recipient === args.address);
          return deduplicated(
            startingWith(
              current && { payment: current, previousStage: null },
              bus.subscribe('paymentUpdated'),
            ),
            (u) => (matches(u.payment) ? updateKey(u.payment) : undefined),
          );
        },
        resolve: (update: unknown) => update,
      },
      qcFormed: {
        subscribe: (_: unknown, args: { address?: string | null }) => {
          counted('qcFormed');
          return deduplicated(bus.subscribe('qcFormed'), (p) =>
            !args.address || p.sender === args.address || p.recipient === args.address ? p.txHash : undefined,
          );
        },
        resolve: (payment: unknown) => payment,
      },
      blockHeight: {
        subscribe: () => {
          counted('blockHeight');
          const head = aggregator.head();
          let last = -1n;
          return deduplicated(
            startingWith(head && chainHeadNode(head, aggregator.headSource), bus.subscribe('blockHeight')),
            (h) => {
              if (BigInt(h.height) <= last) return undefined;
              last = BigInt(h.height);
              return h.height;
            },
          );
        },
        resolve: (head: unknown) => head,
      },
    },
  };

  function rejectionNode(r: ValidatorRejection) {
    return {
      validator: validatorNode(r.member),
      code: rejectCodeName(r.reject.code),
      message: r.reject.message,
      permanent: r.permanent,
    };
  }

  function invalidPayment(r: Reject) {
    return apiError('PAYMENT_INVALID', r.message, { rejectCode: rejectCodeName(r.code) });
  }
}

/** Two deliveries of one change (from several aggregator instances) share this key. */
function updateKey(p: {
  txHash: string;
  stage: string;
  certificates: readonly unknown[];
  rejections: readonly unknown[];
}) {
  return `${p.txHash}|${p.stage}|${p.certificates.length}|${p.rejections.length}`;
}
