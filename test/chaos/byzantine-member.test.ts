import { describe, expect, it } from 'vitest';
import { type Byzantine, byzantineMember } from '../../src/chaos/byzantine-member.ts';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { signCertificate, verifyCertificate } from '../../src/protocol/certificate.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { effectsHash } from '../../src/protocol/hashing.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import type { Effects, FastPayTx } from '../../src/protocol/types.ts';
import { demoValidators } from '../../src/services/demo/demo-validators.ts';
import type { SidecarTransport } from '../../src/wire/sidecar-transport.ts';
import { TransportError } from '../../src/wire/transport-error.ts';

const suite = createNodeCryptoSuite();
const validators = demoValidators(4);
const committee: Committee = {
  chainId: 1337n,
  epoch: 1n,
  members: validators.map((v) => ({
    name: v.name,
    id: v.id,
    publicKey: suite.ed25519.signer(v.seed).publicKey,
  })),
};
const [honestValidator, , , byz] = validators as [
  (typeof validators)[0],
  unknown,
  unknown,
  (typeof validators)[0],
];

const effects = (recipient: number): Effects => ({
  sender: repeatByte(0x11, 20),
  recipient: repeatByte(recipient, 20),
  amount: 1_000n,
  asset: repeatByte(0x20, 20),
  nonce: { nonceKey: repeatByte(0x01, 32), seq: 0n },
});
const paid = {
  tx: { tempoTx: Uint8Array.of(0xa0) } as FastPayTx,
  hash: repeatByte(0xa0, 32),
  effects: effects(0x22),
};
const rival = {
  tx: { tempoTx: Uint8Array.of(0xb0) } as FastPayTx,
  hash: repeatByte(0xb0, 32),
  effects: effects(0x33),
};

/** An honest sidecar that certifies `paid` and refuses its rival (the lock is taken). */
const honest: SidecarTransport = {
  async submit(request) {
    if (request.tx === paid.tx) {
      const e = paid.effects;
      const ctx = { chainId: committee.chainId, epoch: committee.epoch };
      const signer = suite.ed25519.signer(honestValidator.seed);
      return {
        cert: signCertificate(suite, signer, honestValidator, ctx, e, paid.hash, effectsHash(suite, e), 1n),
      };
    }
    return { reject: { code: RejectCode.EQUIVOCATION, message: 'lock held' } };
  },
  close() {},
};

const member = (kind: Byzantine, slowMs = 0) =>
  byzantineMember(
    kind,
    suite,
    committee,
    byz,
    honest,
    (tempoTx) =>
      tempoTx === toHex(rival.tx.tempoTx!) ? { effects: rival.effects, txHash: rival.hash } : undefined,
    slowMs,
  );
const ask = (kind: Byzantine, tx: FastPayTx, timeoutMs = 1_000, slowMs = 0) =>
  member(kind, slowMs).submit({ tx, parentQcs: [] }, { timeoutMs });
const certOf = (answer: Awaited<ReturnType<typeof ask>>) => {
  if (!('cert' in answer)) throw new Error(`expected a certificate, got ${answer.reject.message}`);
  return answer.cert;
};

describe('Byzantine committee member (chaos)', () => {
  it('forges: claims its pinned key but the signature does not verify against the committee', async () => {
    const cert = certOf(await ask('forges', paid.tx));
    expect(toHex(cert.signer!.pubkey!)).toBe(toHex(committee.members[3]!.publicKey));
    expect(verifyCertificate(suite, committee, cert)).toMatch(/signature/);
  });

  it('signs wrong effects: a valid signature over effects the honest sidecars did not sign', async () => {
    const cert = certOf(await ask('wrong-effects', paid.tx));
    expect(verifyCertificate(suite, committee, cert)).toBeUndefined();
    expect(toHex(cert.effectsHash)).not.toBe(toHex(effectsHash(suite, paid.effects)));
  });

  it('equivocates: validly signs both the paid payment and its rival of the same sequence', async () => {
    const first = certOf(await ask('equivocates', paid.tx));
    const second = certOf(await ask('equivocates', rival.tx));
    expect(verifyCertificate(suite, committee, first)).toBeUndefined();
    expect(verifyCertificate(suite, committee, second)).toBeUndefined();
    expect(toHex(second.txHash)).toBe(toHex(rival.hash));
  });

  it('stays silent: no answer, a transient transport error at the deadline', async () => {
    await expect(ask('silent', paid.tx, 20)).rejects.toBeInstanceOf(TransportError);
  });

  it('is slow: answers a valid certificate, after its delay', async () => {
    const started = Date.now();
    const cert = certOf(await ask('slow', paid.tx, 1_000, 50));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(verifyCertificate(suite, committee, cert)).toBeUndefined();
  });
});
