import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SubmitFastPayRequestSchema } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import {
  ExpirySchema,
  FastPayTxSchema,
  QuorumCertificateSchema,
  RejectReasonSchema,
  ValidatorCertificateSchema,
} from '../../gen/tempo/fastpay/v1/types_pb.js';
import { RejectCode } from '../../src/protocol/reject.ts';
import type {
  EffectsSummary,
  Expiry,
  FastPayTx,
  Nonce2D,
  PaymentIntent,
  ValidatorCertificate,
  ValidatorId,
} from '../../src/protocol/types.ts';
import {
  quorumCertificateFromProto,
  quorumCertificateToProto,
  validatorCertificateFromProto,
  validatorCertificateToProto,
} from '../../src/wire/convert-certificate.ts';
import {
  expiryFromProto,
  expiryToProto,
  fastPayTxFromProto,
  fastPayTxToProto,
} from '../../src/wire/convert-payment.ts';
import { rejectFromProto, rejectToProto } from '../../src/wire/convert-reject.ts';
import { submitRequestFromProto, submitRequestToProto } from '../../src/wire/convert-request.ts';

const bytes = fc.uint8Array({ maxLength: 40 });
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const nonce: fc.Arbitrary<Nonce2D> = fc.record({ nonceKey: bytes, seq: u64 });
const expiry: fc.Arbitrary<Expiry | null> = fc.oneof(
  fc.constant(null),
  fc.record({ kind: fc.constant('maxBlockHeight' as const), value: u64 }),
  fc.record({ kind: fc.constant('unixMillis' as const), value: u64 }),
);
const intent: fc.Arbitrary<PaymentIntent> = fc.record(
  { sender: bytes, recipient: bytes, amount: u64, asset: bytes },
  { requiredKeys: ['amount'] },
);
const tx: fc.Arbitrary<FastPayTx> = fc.record(
  {
    chainId: u64,
    tempoTx: bytes,
    intent,
    nonce,
    expiry,
    parentQcHash: bytes,
    clientRequestId: fc.string({ unit: 'grapheme' }),
    format: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    overlay: fc.record({ payment: intent }, { requiredKeys: [] }),
  },
  { requiredKeys: ['parentQcHash', 'clientRequestId', 'format'] },
);
const validator: fc.Arbitrary<ValidatorId> = fc.record({ name: fc.string(), id: bytes, pubkey: bytes });
const effects: fc.Arbitrary<EffectsSummary> = fc.record(
  { sender: bytes, recipient: bytes, amount: u64, asset: bytes, nonce },
  { requiredKeys: ['amount'] },
);
const cert: fc.Arbitrary<ValidatorCertificate> = fc.record(
  { signer: validator, txHash: bytes, effectsHash: bytes, effects, signature: bytes, createdUnixMillis: u64 },
  { requiredKeys: ['txHash', 'effectsHash', 'signature', 'createdUnixMillis'] },
);
const qc = fc.record({
  txHash: bytes,
  effectsHash: bytes,
  certs: fc.array(cert, { maxLength: 3 }),
  threshold: fc.nat({ max: 2 ** 32 - 1 }),
  qcHash: bytes,
});

/** Domain → proto → bytes → proto → domain. */
function viaWire<T, M extends Parameters<typeof toBinary>[1]>(
  schema: Parameters<typeof toBinary>[0],
  toProto: (value: T) => M,
  fromProto: (message: M) => T,
  value: T,
): T {
  return fromProto(fromBinary(schema, toBinary(schema, toProto(value))) as M);
}

describe('domain <-> proto conversion', () => {
  it('round-trips any FastPayTx through the wire, absent fields staying absent', () => {
    fc.assert(
      fc.property(tx, (value) => {
        expect(viaWire(FastPayTxSchema, fastPayTxToProto, fastPayTxFromProto, value)).toEqual(value);
      }),
    );
  });

  it('round-trips any ValidatorCertificate through the wire', () => {
    fc.assert(
      fc.property(cert, (value) => {
        expect(
          viaWire(
            ValidatorCertificateSchema,
            validatorCertificateToProto,
            validatorCertificateFromProto,
            value,
          ),
        ).toEqual(value);
      }),
    );
  });

  it('round-trips any QuorumCertificate and SubmitRequest through the wire', () => {
    fc.assert(
      fc.property(qc, fc.option(tx, { nil: undefined }), (quorum, payment) => {
        expect(
          viaWire(QuorumCertificateSchema, quorumCertificateToProto, quorumCertificateFromProto, quorum),
        ).toEqual(quorum);
        const request = { tx: payment, parentQcs: [quorum] };
        expect(
          viaWire(SubmitFastPayRequestSchema, submitRequestToProto, submitRequestFromProto, request),
        ).toEqual(request);
      }),
      { numRuns: 50 },
    );
  });

  it('round-trips every reject code, and keeps unknown code numbers', () => {
    for (const code of [...Object.values(RejectCode).filter((c) => typeof c === 'number'), 42]) {
      const value = { code: code as RejectCode, message: `m${code}` };
      expect(viaWire(RejectReasonSchema, rejectToProto, rejectFromProto, value)).toEqual(value);
    }
    expect(rejectToProto({ code: RejectCode.INSUFFICIENT_FUNDS, message: '' }).code).toBe(8);
  });

  it('maps an Expiry message with no bound set to null and back', () => {
    expect(expiryFromProto(create(ExpirySchema))).toBeNull();
    expect(expiryToProto(null).kind.case).toBeUndefined();
    const present = fastPayTxFromProto(create(FastPayTxSchema, { expiry: {} }));
    const absent = fastPayTxFromProto(create(FastPayTxSchema));
    expect(present.expiry).toBeNull();
    expect(absent.expiry).toBeUndefined();
  });

  it('converts a default FastPayTx message without throwing and without inventing fields', () => {
    expect(fastPayTxFromProto(create(FastPayTxSchema))).toEqual({
      parentQcHash: new Uint8Array(0),
      clientRequestId: '',
      format: 0,
    });
  });

  it('leaves lengths to the protocol: odd-sized hashes and addresses pass through unchanged', () => {
    const odd = { txHash: new Uint8Array(3), effectsHash: new Uint8Array(0), signature: new Uint8Array(1) };
    const value = {
      ...odd,
      createdUnixMillis: 0n,
      signer: { name: '', id: new Uint8Array(5), pubkey: new Uint8Array(0) },
    };
    expect(validatorCertificateFromProto(validatorCertificateToProto(value))).toEqual(value);
  });
});
