import { formatUnits } from 'viem';
import type { ChainPort } from '../../chain/chain-port.ts';
import type { DemoAccount } from '../../chain/demo-accounts.ts';
import type { EscrowChain } from '../../chain/escrow/escrow-chain.ts';
import { EscrowRevertError } from '../../chain/escrow/escrow-revert-error.ts';
import { ALPHA_USD, PATH_USD, TIP20_DECIMALS } from '../../chain/tempo-tokens.ts';
import { signTempoTransfer } from '../../chain/tempo-transfer.ts';
import { waitForReceipt } from '../../chain/wait-for-receipt.ts';
import { buildEscrowPayment } from '../../client/build-escrow-payment.ts';
import { DEFAULT_LANE } from '../../client/lane.ts';
import { createNodeCryptoSuite } from '../../protocol/crypto/node-suite.ts';
import { escrowPaymentDigest } from '../../protocol/escrow/escrow-payment.ts';
import { signEscrowDigest } from '../../protocol/escrow/escrow-signature.ts';
import { rejectCodeName } from '../../protocol/reject.ts';
import type { SidecarTransport } from '../../wire/sidecar-transport.ts';

/** What the escapes need: Alice, her escrow and wallet, the sidecars, and a way to try one more payment. */
export interface EscrowEscapeOptions {
  readonly alice: DemoAccount;
  readonly bob: DemoAccount;
  readonly carol: DemoAccount;
  readonly escrow: EscrowChain;
  readonly node: Pick<ChainPort, 'head' | 'nonce' | 'balanceOf' | 'sendRawTransaction' | 'receipt'>;
  readonly transports: readonly SidecarTransport[];
  /** Alice's client pays `amount` to Carol; resolves with the QC or rejects with the sidecars' refusal. */
  readonly alicePaysCarol: (amount: bigint) => Promise<unknown>;
  /** Resolves at the first head after `height` the observer sees. */
  readonly headAfter: (height: bigint) => Promise<void>;
  readonly say: (line: string) => void;
}

const units = (amount: bigint) => formatUnits(amount, TIP20_DECIMALS);
const PROTOCOL_NONCE_KEY = new Uint8Array(32);
/** Alice keeps this much pathUSD for the drain's own fee. */
const FEE_RESERVE = 1_000000n;

/**
 * Alice tries every way out of her escrowed payment to Bob while it settles (ARCHITECTURE.md "What a QC
 * guarantees": ESCROWED), and each fails: the escrow refuses a transfer without a QC; the sidecars refuse a second
 * payment on her certified sequence (EQUIVOCATION); a withdrawal is only announced, counts as spent at once, and
 * cannot complete before W; draining her wallet's fee token changes nothing, since the settling sidecar pays the
 * fee. Throws if any escape succeeds.
 */
export async function tryEscrowEscapes(options: EscrowEscapeOptions): Promise<void> {
  const { alice, bob, carol, escrow, say } = options;
  const suite = createNodeCryptoSuite();
  const head = await options.node.head();
  const deadline = head.timestampMs / 1000n + 600n;

  const grab = {
    payer: alice.address,
    recipient: carol.address,
    token: ALPHA_USD,
    amount: 15_000000n,
    lane: DEFAULT_LANE.nonceKey,
    seq: 99n,
    deadline,
    parent: new Uint8Array(32),
  };
  const payerSignature = signEscrowDigest(escrowPaymentDigest(escrow.domain, grab), alice.privateKey);
  const refused = await revertName(
    escrow.settle(alice, { payment: grab, payerSignature, certSignatures: [] }),
  );
  say(
    `escape 1: Alice moves her 15 AlphaUSD out of the escrow without a QC → the escrow refuses (${refused})`,
  );

  const again = buildEscrowPayment({
    suite,
    account: alice.privateKey,
    domain: escrow.domain,
    to: carol.address,
    amount: 5_000000n,
    asset: ALPHA_USD,
    lane: DEFAULT_LANE,
    seq: 0n,
    deadline,
  });
  const answers = await Promise.all(
    options.transports.map((t) => t.submit({ tx: again.tx, parentQcs: [] }, { timeoutMs: 10_000 })),
  );
  const codes = answers.map((a) => ('reject' in a ? rejectCodeName(a.reject.code) : 'CERTIFIED'));
  if (codes.includes('CERTIFIED'))
    throw new Error('a sidecar certified a second payment on a certified sequence');
  say(`escape 2: Alice signs another payment on her sequence 0 (5 to Carol) → sidecars: ${codes.join(', ')}`);

  const announced = await escrow.announceWithdrawal(alice, ALPHA_USD, 5_000000n);
  const early = await revertName(escrow.completeWithdrawal(alice, announced.withdrawal.id));
  say(
    `escape 3: Alice announces a withdrawal of 5 in block ${announced.blockNumber}; completing it before W → ` +
      `the escrow refuses (${early}); executable only at unix ${announced.withdrawal.executableAt}`,
  );

  const wallet = await options.node.balanceOf(PATH_USD, alice.address, (await options.node.head()).height);
  const drain = signTempoTransfer({
    chainId: escrow.domain.chainId,
    senderKey: alice.privateKey,
    recipient: bob.address,
    amount: wallet - FEE_RESERVE,
    token: PATH_USD,
    nonceKey: PROTOCOL_NONCE_KEY,
    nonce: await options.node.nonce(alice.address, PROTOCOL_NONCE_KEY, (await options.node.head()).height),
    feeToken: PATH_USD,
  });
  const drained = await waitForReceipt(
    options.node as ChainPort,
    await options.node.sendRawTransaction(drain),
  );
  if (!drained.success) throw new Error("the drain of Alice's wallet reverted");
  say(
    `escape 4: Alice drains her wallet's fee token (${units(wallet - FEE_RESERVE)} pathUSD to Bob, block ` +
      `${drained.blockNumber}) → irrelevant: the settling sidecar pays the settlement fee`,
  );

  await options.headAfter(announced.blockNumber);
  try {
    await options.alicePaysCarol(1_000000n);
  } catch (err) {
    say(
      `… and the announced withdrawal is already spent: Alice paying Carol 1 more → ${(err as Error).message}`,
    );
    return;
  }
  throw new Error('the sidecars certified a payment from funds announced for withdrawal');
}

/** The contract error a refused escrow write names; throws if the write went through. */
async function revertName(write: Promise<unknown>): Promise<string> {
  try {
    await write;
  } catch (err) {
    if (err instanceof EscrowRevertError) return err.errorName ?? 'reverted';
    throw err;
  }
  throw new Error('the escrow accepted an escape');
}
