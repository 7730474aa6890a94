import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  FastPayTxSchema,
  TempoTxFormat,
  TxLifecycleUpdate_Stage,
  TxLifecycleUpdateSchema,
  ValidatorCertificateSchema,
} from '../../gen/tempo/fastpay/v1/types_pb.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const b = (...values: number[]) => new Uint8Array(values);

const fullTx = create(FastPayTxSchema, {
  chainId: { value: 1337n },
  tempoTx: { data: b(0x76) },
  intent: { sender: { data: b(0x11) }, recipient: { data: b(0x22) }, amount: 7n, asset: { data: b(0x33) } },
  nonce: { nonceKeyBe: b(0xaa), nonceSeq: 5n },
  expiry: { kind: { case: 'maxBlockHeight', value: 100n } },
  parentQcHash: b(0xcc),
  clientRequestId: 'r',
  tempoTxFormat: TempoTxFormat.TEMPO_NATIVE_V1,
  overlay: { payment: { amount: 7n } },
});

const fullCert = create(ValidatorCertificateSchema, {
  signer: { name: 'v', id: b(0x44), pubkey: b(0x55) },
  txHash: b(0x01),
  effectsHash: b(0x02),
  effects: {
    sender: { data: b(0x11) },
    recipient: { data: b(0x22) },
    amount: 7n,
    asset: { data: b(0x33) },
    nonce: { nonceKeyBe: b(0xaa), nonceSeq: 5n },
  },
  signature: b(0x99),
  createdUnixMillis: 1234n,
});

describe('protobuf codec (reference §2.1, tests 7-8)', () => {
  it('decodes an encoded fully populated FastPayTx to the same message', () => {
    expect(fromBinary(FastPayTxSchema, toBinary(FastPayTxSchema, fullTx))).toEqual(fullTx);
  });

  it('decodes an encoded fully populated ValidatorCertificate to the same message', () => {
    expect(fromBinary(ValidatorCertificateSchema, toBinary(ValidatorCertificateSchema, fullCert))).toEqual(
      fullCert,
    );
  });

  it('encodes FastPayTx with the reference field numbers 1-9, byte for byte', () => {
    expect(hex(toBinary(FastPayTxSchema, fullTx))).toBe(
      [
        '0a03' + '08b90a', // 1 chain_id { 1: value 1337 }
        '1203' + '0a0176', // 2 tempo_tx { 1: data }
        '1a11' + '0a030a0111' + '12030a0122' + '1807' + '22030a0133', // 3 intent { sender, recipient, amount, asset }
        '2205' + '0a01aa' + '1005', // 4 nonce { 1: nonce_key_be, 2: nonce_seq }
        '2a02' + '0864', // 5 expiry { 1: max_block_height }
        '3201cc', // 6 parent_qc_hash
        '3a0172', // 7 client_request_id
        '4002', // 8 tempo_tx_format TEMPO_NATIVE_V1
        '4a04' + '0a021807', // 9 overlay { 1: payment { 3: amount } }
      ].join(''),
    );
  });

  it('encodes ValidatorCertificate with the reference field numbers 1-6, byte for byte', () => {
    expect(hex(toBinary(ValidatorCertificateSchema, fullCert))).toBe(
      [
        '0a09' + '0a0176' + '120144' + '1a0155', // 1 signer { name, id, pubkey }
        '120101', // 2 tx_hash
        '1a0102', // 3 effects_hash
        '2218' + '0a030a0111' + '12030a0122' + '1807' + '22030a0133' + '2a050a01aa1005', // 4 effects
        '2a0199', // 5 signature
        '30d209', // 6 created_unix_millis 1234
      ].join(''),
    );
  });

  it('encodes the unix_millis expiry bound as field 2', () => {
    const tx = create(FastPayTxSchema, { expiry: { kind: { case: 'unixMillis', value: 1n } } });
    expect(hex(toBinary(FastPayTxSchema, tx))).toBe('2a021001');
  });

  it('keeps the Allegro TxLifecycleUpdate additions on new field numbers and stage values', () => {
    const update = create(TxLifecycleUpdateSchema, {
      txHash: b(0x01),
      stage: TxLifecycleUpdate_Stage.FAILED,
      unixMillis: 2n,
      blockHeight: 3n,
      blockHash: b(0x04),
      message: 'x',
    });
    expect(hex(toBinary(TxLifecycleUpdateSchema, update))).toBe(
      '0a0101' + '1009' + '1802' + '2003' + '2a0104' + '320178',
    );
    expect([
      TxLifecycleUpdate_Stage.ACCEPTED,
      TxLifecycleUpdate_Stage.FINALIZED,
      TxLifecycleUpdate_Stage.QC_FORMED,
      TxLifecycleUpdate_Stage.REJECTED,
      TxLifecycleUpdate_Stage.EXPIRED,
    ]).toEqual([1, 5, 6, 7, 8]);
  });
});
