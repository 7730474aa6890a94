import { toHex } from '../protocol/bytes.ts';
import { signCertificate } from '../protocol/certificate.ts';
import type { Committee } from '../protocol/committee.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { effectsFromSummary } from '../protocol/effects-from-summary.ts';
import { effectsHash } from '../protocol/hashing.ts';
import type { Effects, EffectsSummary, ValidatorCertificate } from '../protocol/types.ts';
import type { SidecarTransport, SubmitAnswer } from '../wire/sidecar-transport.ts';
import { TransportError } from '../wire/transport-error.ts';

/** How a Byzantine committee member misbehaves. */
export type Byzantine = 'forges' | 'wrong-effects' | 'equivocates' | 'silent' | 'slow';

export const BYZANTINE: readonly Byzantine[] = ['forges', 'wrong-effects', 'equivocates', 'silent', 'slow'];

/** A Byzantine member's identity: its committee name and id, and the seed of the key the committee pins. */
export interface ByzantineIdentity {
  readonly name: string;
  readonly id: Uint8Array;
  readonly seed: Uint8Array;
}

/**
 * An in-process member of the committee that misbehaves as `kind`. It learns what an honest sidecar would sign
 * by asking `honest` (or, for a tx the honest refuse, from `effectsOf` by its 0x-hex signed tx) and then:
 * `forges` signs with a key the committee does not pin; `wrong-effects` signs validly over other effects;
 * `equivocates` signs validly whatever it is asked, conflicting payments too; `silent` never answers; `slow`
 * answers validly after `slowMs`.
 */
export function byzantineMember(
  kind: Byzantine,
  suite: CryptoSuite,
  committee: Committee,
  me: ByzantineIdentity,
  honest: SidecarTransport,
  effectsOf: (
    tempoTx: string,
  ) => { readonly effects?: EffectsSummary; readonly txHash: Uint8Array } | undefined,
  slowMs = 1_500,
): SidecarTransport {
  const ctx = { chainId: committee.chainId, epoch: committee.epoch };
  const ownKey = suite.ed25519.signer(me.seed);
  const wrongKey = suite.ed25519.signer(new Uint8Array(32).fill(0xee));
  const sign = (effects: Effects, txHash: Uint8Array, key = ownKey): ValidatorCertificate => {
    const cert = signCertificate(
      suite,
      key,
      me,
      ctx,
      effects,
      txHash,
      effectsHash(suite, effects),
      BigInt(Date.now()),
    );
    // A forger claims the pinned key; only its signature gives it away.
    return key === ownKey
      ? cert
      : { ...cert, signer: { name: me.name, id: me.id, pubkey: ownKey.publicKey } };
  };
  let closed = false;
  const waitFor = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  return {
    async submit(request, options): Promise<SubmitAnswer> {
      if (closed) throw new TransportError('closed', { transient: false });
      if (kind === 'silent') {
        await waitFor(options.timeoutMs, options.signal);
        throw new TransportError('deadline exceeded', { transient: true, status: 'DEADLINE_EXCEEDED' });
      }
      const answer = await honest.submit(request, options);
      const known =
        'cert' in answer ? answer.cert : effectsOf(toHex(request.tx?.tempoTx ?? new Uint8Array()));
      const effects = known?.effects && effectsFromSummary(known.effects);
      if (!known || !effects) return answer;
      if (kind === 'forges') return { cert: sign(effects, known.txHash, wrongKey) };
      if (kind === 'wrong-effects')
        return { cert: sign({ ...effects, amount: effects.amount + 1n }, known.txHash) };
      if (kind === 'slow') await waitFor(slowMs, options.signal);
      if (kind === 'slow' && !('cert' in answer)) return answer;
      return { cert: sign(effects, known.txHash) };
    },
    close() {
      closed = true;
    },
  };
}
