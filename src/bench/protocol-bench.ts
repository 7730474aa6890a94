import { TxEnvelopeTempo } from 'ox/tempo';
import { numberToBytes } from 'viem';
import { ALPHA_USD, PATH_USD } from '../chain/tempo-tokens.ts';
import { signTempoTransfer } from '../chain/tempo-transfer.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { signCertificate } from '../protocol/certificate.ts';
import type { Committee } from '../protocol/committee.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { Ledger } from '../protocol/ledger/ledger.ts';
import { decodeTempoTx } from '../protocol/tempo/decode-tempo-tx.ts';
import type { SubmitRequest } from '../protocol/types.ts';
import type { ChainView } from '../protocol/validation/chain-view.ts';
import { decideSubmission } from '../protocol/validation/decide-submission.ts';
import { wrapSignedPayment } from '../protocol/wrap-signed-payment.ts';

/** The pure pipeline's target: this share of the crypto ceiling measured in the same run. */
export const PIPELINE_TARGET_RATIO = 0.7;

/** What `bench protocol` measured: medians of the timed rounds, one core. */
export interface ProtocolBenchFigures {
  readonly payments: number;
  readonly rounds: number;
  /** Certified decisions per second (decode, recover, hash, validate, sign, record). */
  readonly pipelinePerSecond: number;
  /** Recover + sign per second on the same inputs. */
  readonly ceilingPerSecond: number;
  /** pipeline / ceiling. */
  readonly ratio: number;
  readonly targetRatio: number;
  readonly met: boolean;
}

/**
 * Signs `payments` fixtures, runs one warm-up round and `rounds` timed rounds of the pipeline and of the
 * ceiling, and returns their medians; `onLine` hears progress.
 */
export function protocolBenchFigures(
  payments: number,
  rounds: number,
  onLine: (line: string) => void = () => {},
): ProtocolBenchFigures {
  const seed = new Uint8Array(32).fill(0x41);
  const suite = createNodeCryptoSuite();
  const committee = {
    chainId: 1337n,
    epoch: 1n,
    members: [
      { name: 'Dave', id: new Uint8Array(32).fill(0xd1), publicKey: suite.ed25519.signer(seed).publicKey },
    ],
  };
  const fixtures = makeFixtures(payments, (done) => onLine(`signed ${done}/${payments} payments`));
  runPipeline(fixtures, committee, seed);
  runCeiling(fixtures, seed);
  const pipeline: number[] = [];
  const ceiling: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    pipeline.push(runPipeline(fixtures, committee, seed));
    ceiling.push(runCeiling(fixtures, seed));
    onLine(
      `round ${r}/${rounds}: pipeline ${Math.round(pipeline.at(-1)!)}/s, ceiling ${Math.round(ceiling.at(-1)!)}/s`,
    );
  }
  const pipelinePerSecond = median(pipeline);
  const ceilingPerSecond = median(ceiling);
  const ratio = pipelinePerSecond / ceilingPerSecond;
  return {
    payments,
    rounds,
    pipelinePerSecond,
    ceilingPerSecond,
    ratio,
    targetRatio: PIPELINE_TARGET_RATIO,
    met: ratio >= PIPELINE_TARGET_RATIO,
  };
}

export interface Fixture {
  readonly sender: Uint8Array;
  readonly request: SubmitRequest;
  readonly signingHash: Uint8Array;
  readonly signature: Uint8Array;
  readonly recoveryId: number;
}

const RECIPIENT = fromHex('0x1563915e194d8cfba1943570603f7606a3115508');

/** A chain at the wall clock's time where every account holds plenty of every token and pays fees in pathUSD. */
const richChain: ChainView = {
  head: { height: 1n, timestampMs: BigInt(Date.now()) },
  chargesFees: true,
  balanceOf: () => 1_000_000_000_000n,
  nonceOf: () => 0n,
  defaultFeeToken: () => PATH_USD,
  feeTokenUsable: () => true,
};

/**
 * `count` payments from `count` distinct payers (so no cache helps), each a real signed 0x76 AlphaUSD transfer,
 * valid for half an hour of wall-clock time (a sidecar certifies no deadline beyond its --max-expiry-ms).
 */
export function makeFixtures(count: number, onProgress: (done: number) => void): Fixture[] {
  const suite = createNodeCryptoSuite();
  const validBefore = BigInt(Math.floor(Date.now() / 1000) + 1800);
  const fixtures: Fixture[] = [];
  for (let i = 0; i < count; i++) {
    const raw = signTempoTransfer({
      chainId: 1337n,
      senderKey: suite.keccak256(numberToBytes(i + 1, { size: 32 })),
      recipient: RECIPIENT,
      amount: 1_000_000n,
      token: ALPHA_USD,
      nonceKey: numberToBytes(1, { size: 32 }),
      nonce: 0n,
      feeToken: PATH_USD,
      validBefore,
    });
    const decoded = decodeTempoTx(suite, 2, raw);
    if (!decoded.ok) throw new Error(`fixture ${i} does not decode: ${decoded.reject.message}`);
    const envelope = TxEnvelopeTempo.deserialize(toHex(raw) as `0x76${string}`);
    const sig = envelope.signature?.signature as { r: bigint; s: bigint; yParity: number };
    fixtures.push({
      sender: decoded.tx.sender,
      request: { tx: wrapSignedPayment(raw, decoded.tx)!, parentQcs: [] },
      signingHash: decoded.tx.signingHash,
      signature: new Uint8Array([
        ...numberToBytes(sig.r, { size: 32 }),
        ...numberToBytes(sig.s, { size: 32 }),
      ]),
      recoveryId: sig.yParity,
    });
    if ((i + 1) % 500 === 0) onProgress(i + 1);
  }
  return fixtures;
}

/** Certified decisions per second: decode, recover, hash, validate, sign and record, for every fixture. */
export function runPipeline(fixtures: readonly Fixture[], committee: Committee, seed: Uint8Array): number {
  const suite = createNodeCryptoSuite();
  const signer = suite.ed25519.signer(seed);
  const identity = { name: committee.members[0]!.name, id: committee.members[0]!.id };
  const ledger = new Ledger({ maxRequestCache: fixtures.length, maxSettledCerts: fixtures.length });
  const start = process.hrtime.bigint();
  for (const f of fixtures) {
    const d = decideSubmission(suite, committee, ledger, richChain, f.request);
    if (d.kind !== 'accept')
      throw new Error(
        `bench payment not accepted: ${JSON.stringify(d.kind === 'reject' ? d.reject : d.kind)}`,
      );
    const cert = signCertificate(
      suite,
      signer,
      identity,
      committee,
      d.delta.effects,
      d.txHash,
      d.effectsHash,
      1n,
    );
    ledger.record(d.delta, cert);
  }
  return perSecond(fixtures.length, start);
}

/** The raw crypto ceiling on the same inputs: secp256k1 recovery plus one Ed25519 signature per payment. */
export function runCeiling(fixtures: readonly Fixture[], seed: Uint8Array): number {
  const suite = createNodeCryptoSuite();
  const signer = suite.ed25519.signer(seed);
  const start = process.hrtime.bigint();
  for (const f of fixtures) {
    if (!suite.recoverAddress(f.signingHash, f.signature, f.recoveryId)) throw new Error('recovery failed');
    signer.sign(f.signingHash);
  }
  return perSecond(fixtures.length, start);
}

function perSecond(count: number, start: bigint): number {
  return (count * 1e9) / Number(process.hrtime.bigint() - start);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
