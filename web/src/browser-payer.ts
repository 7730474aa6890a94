/**
 * Pays from the browser: the payment is built and signed here with a devnet key (src/client/build-payment: a
 * Tempo 0x76 transfer in the payer's lane, wrapped in its FastPayTx) and only the signed transaction goes to the
 * aggregator's `submitPayment`. The aggregator attaches the parent's QC and payment and the lane's previous QC.
 */

import { ALPHA_USD } from '../../src/chain/tempo-tokens.ts';
import { buildPayment } from '../../src/client/build-payment.ts';
import { DEFAULT_LANE } from '../../src/client/lane.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import type { QuorumCertificate } from '../../src/protocol/types.ts';
import type { DemoPayment } from '../../src/services/demo/chained-demo.machine.ts';
import { request } from './api.ts';
import { PAYMENT_DETAIL_FIELDS, type PaymentDetailFields, type RejectionNode } from './nodes.ts';
import { browserSuite, qcFromNode } from './qc-check.ts';

/** How long a payment signed here stays valid, counted from the chain head's time (not the browser's clock). */
const VALID_FOR_SECONDS = 600n;

export interface BrowserPayment {
  readonly chainId: bigint;
  readonly payerKey: Uint8Array;
  readonly payer: string;
  readonly to: string;
  readonly amount: bigint;
  /** The payment this one spends from (a chained spend). */
  readonly parent?: DemoPayment;
}

export interface PaymentOutcome {
  readonly payment: PaymentDetailFields;
  readonly qcFormed: boolean;
  readonly rejections: readonly RejectionNode[];
  /** With a QC: what a chained child needs of it. */
  readonly demoPayment?: DemoPayment;
}

/** Signs `spec` at the lane's next sequence and submits it; throws with the server's code on an invalid payment. */
export async function payFromBrowser(spec: BrowserPayment): Promise<PaymentOutcome> {
  const nonceKey = toHex(DEFAULT_LANE.nonceKey);
  const lane = await request<{ nextSequence: string | null; chainHead: { timestampMs: string } | null }>(
    'query ($address: Address!, $nonceKey: Hex!) { nextSequence(address: $address, nonceKey: $nonceKey) chainHead { timestampMs } }',
    { address: spec.payer, nonceKey },
  );
  if (lane.nextSequence === null || lane.chainHead === null) {
    throw new Error('the aggregator reads no chain (--rpc-url): it cannot tell the lane sequence');
  }
  const built = buildPayment({
    suite: browserSuite,
    account: spec.payerKey,
    to: fromHex(spec.to, 20),
    amount: spec.amount,
    asset: ALPHA_USD,
    chainId: spec.chainId,
    lane: DEFAULT_LANE,
    seq: BigInt(lane.nextSequence),
    validBefore: BigInt(lane.chainHead.timestampMs) / 1000n + VALID_FOR_SECONDS,
    ...(spec.parent ? { parentQc: spec.parent.qc } : {}),
  });
  const { submitPayment: result } = await request<{
    submitPayment: { payment: PaymentDetailFields; qcFormed: boolean; rejections: RejectionNode[] };
  }>(
    `mutation ($input: SubmitPaymentInput!) {
      submitPayment(input: $input) {
        qcFormed rejections { validator { name } code message } payment { ${PAYMENT_DETAIL_FIELDS} }
      }
    }`,
    {
      input: {
        signedTx: toHex(built.tx.tempoTx!),
        nonceKey,
        sequence: lane.nextSequence,
        ...(built.tx.parentQcHash.length > 0 ? { parentQcHash: toHex(built.tx.parentQcHash) } : {}),
      },
    },
  );
  if (result.payment.txHash !== toHex(built.txHash)) {
    throw new Error(
      `the aggregator wrapped the payment as ${result.payment.txHash}, not ${toHex(built.txHash)}`,
    );
  }
  const node = result.payment.quorumCertificate;
  const qc: QuorumCertificate | undefined = node ? qcFromNode(node) : undefined;
  return {
    payment: result.payment,
    qcFormed: result.qcFormed,
    rejections: result.rejections,
    ...(qc ? { demoPayment: { txHash: result.payment.txHash, qc, tx: built.tx } } : {}),
  };
}
