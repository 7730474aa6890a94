import { signCertificate } from '../../src/protocol/certificate.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import type { CryptoSuite } from '../../src/protocol/crypto/suite.ts';
import { Ledger } from '../../src/protocol/ledger/ledger.ts';
import type { SubmitRequest, ValidatorCertificate } from '../../src/protocol/types.ts';
import type { ChainView } from '../../src/protocol/validation/chain-view.ts';
import { decideSubmission } from '../../src/protocol/validation/decide-submission.ts';
import type { Decision } from '../../src/protocol/validation/decision.ts';
import { DEFAULT_RULES, type DecisionRules } from '../../src/protocol/validation/decision-rules.ts';

export const suite = createNodeCryptoSuite();

export interface ValidatorIdentity {
  readonly name: string;
  readonly id: Uint8Array;
  readonly seed: Uint8Array;
}

/** A committee whose members are these validators (their keys derived from the seeds). */
export function committeeOf(
  validators: readonly ValidatorIdentity[],
  chainId = 1337n,
  epoch = 1n,
): Committee {
  return {
    chainId,
    epoch,
    members: validators.map((v) => ({
      name: v.name,
      id: v.id,
      publicKey: suite.ed25519.signer(v.seed).publicKey,
    })),
  };
}

/** One validator's loop over the pure rules, as the sidecar runs it minus persistence. */
export class HarnessValidator {
  readonly ledger = new Ledger({ maxRequestCache: 1024, maxSettledCerts: 1024 });
  readonly #signer;
  #clock = 1_700_000_000_000n;

  readonly #suite: CryptoSuite;
  readonly #rules: DecisionRules;

  constructor(
    readonly identity: ValidatorIdentity,
    readonly committee: Committee,
    public chain: ChainView,
    options: { readonly suite?: CryptoSuite; readonly rules?: DecisionRules } = {},
  ) {
    this.#suite = options.suite ?? suite;
    this.#rules = options.rules ?? DEFAULT_RULES;
    this.#signer = this.#suite.ed25519.signer(identity.seed);
  }

  /** Decides; on accept signs, records and caches like the sidecar. Returns the decision and the certificate. */
  submit(request: SubmitRequest): { decision: Decision; cert?: ValidatorCertificate } {
    const decision = decideSubmission(
      this.#suite,
      this.committee,
      this.ledger,
      this.chain,
      request,
      this.#rules,
    );
    if (decision.kind === 'existing') return { decision, cert: decision.cert };
    if (decision.kind === 'reject' && decision.cacheAs) {
      const { sender, requestId, txHash } = decision.cacheAs;
      this.ledger.cacheResponse(sender, requestId, { txHash, response: { reject: decision.reject } });
    }
    if (decision.kind !== 'accept') return { decision };
    this.#clock += 1n;
    const cert = signCertificate(
      this.#suite,
      this.#signer,
      this.identity,
      this.committee,
      decision.delta.effects,
      decision.txHash,
      decision.effectsHash,
      this.#clock,
    );
    this.ledger.record(decision.delta, cert);
    if (decision.requestId) {
      this.ledger.cacheResponse(decision.delta.effects.sender, decision.requestId, {
        txHash: decision.txHash,
        response: { cert },
      });
    }
    return { decision, cert };
  }
}
