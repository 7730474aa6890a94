import { p256 } from '@noble/curves/nist.js';
import { Hex, Secp256k1 } from 'ox';
import { AuthorizationTempo, KeyAuthorization, SignatureEnvelope, TxEnvelopeTempo } from 'ox/tempo';
import { encodeFunctionData, erc20Abi, parseTransaction, serializeTransaction } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Account } from 'viem/tempo';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/protocol/bytes.ts';
import { createBrowserCryptoSuite } from '../../src/protocol/crypto/browser-suite.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { decodeTempoTx, MAX_TEMPO_TX_BYTES } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import { encodeSubblockNonceKey } from '../../src/protocol/tempo/subblock-nonce-key.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import {
  ALICE,
  ALICE_KEY,
  ALPHA_USD,
  BOB,
  BOB_KEY,
  CAROL,
  CAROL_KEY,
  PATH_USD,
} from '../support/demo-keys.ts';
import {
  P256_N,
  SECP256K1_N,
  senderSignature,
  signSponsoredTempo,
  signTempo,
  signTempoP256,
  tempoEnvelope,
  tempoFromItems,
  tempoItems,
  tempoSignatureBytes,
  transferCall,
  transferData,
  withTempoItem,
} from '../support/tempo-tx-fixtures.ts';

const node = createNodeCryptoSuite();
const browser = createBrowserCryptoSuite();
const NATIVE = TempoTxFormat.TEMPO_NATIVE_V1;
const EVM = TempoTxFormat.EVM_OPAQUE_BYTES_V1;

/** Decodes with the node suite, checks the browser suite agrees, and returns the decoded tx. */
function decodeOk(format: number, bytes: Uint8Array) {
  const result = decodeTempoTx(node, format, bytes);
  expect(decodeTempoTx(browser, format, bytes)).toEqual(result);
  if (!result.ok) throw new Error(`expected a decoded tx, got ${result.reject.message}`);
  return result.tx;
}

function expectReject(format: number, bytes: Uint8Array, code: RejectCode, message: string | RegExp) {
  const result = decodeTempoTx(node, format, bytes);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.reject.code).toBe(code);
  if (typeof message === 'string') expect(result.reject.message).toBe(message);
  else expect(result.reject.message).toMatch(message);
}

const APPENDIX_A_LEGACY = fromHex(
  'f8a78001830138809420c000000000000000000000aaaaaaaaaaaaaaaa80b844a9059cbb0000000000000000000000001563915e194d8cfba1943570603f7606a3115508000000000000000000000000000000000000000000000000000000000000000a820a96a005eb1be0e2928d88c0aa681f31abe32eaba156f31cc797a57722f2091bf2ecd5a02beb436c9a38495eff1cfed91171c4b0de766663d2ede996885cb5159996d4ae',
);

describe('decodeTempoTx: TEMPO_NATIVE_V1 (type 0x76)', () => {
  it('decodes a viem/tempo-signed payment into its signed fields, identically with the node and browser suites', async () => {
    const raw = await Account.fromSecp256k1(ALICE_KEY).signTransaction({
      chainId: 31337,
      calls: [transferCall(BOB, 1_234_567n)],
      nonceKey: 42n,
      nonce: 3,
      gas: 100_000n,
      maxFeePerGas: 20_000_000_000n,
      maxPriorityFeePerGas: 1n,
      validBefore: 1_800_000_000,
      validAfter: 1_700_000_000,
      feeToken: toHex(PATH_USD),
    } as never);
    const tx = decodeOk(NATIVE, fromHex(raw));
    expect(tx).toEqual({
      kind: 'tempo',
      sender: ALICE,
      chainId: 31337n,
      nonceKey: fromHex(Hex.fromNumber(42n, { size: 32 })),
      nonce: 3n,
      recipient: BOB,
      amount: 1_234_567n,
      asset: ALPHA_USD,
      validBefore: 1_800_000_000n,
      validAfter: 1_700_000_000n,
      feeToken: PATH_USD,
      sponsored: false,
      maxFee: 2000n,
      gasLimit: 100_000n,
      maxFeePerGas: 20_000_000_000n,
      signingHash: fromHex(TxEnvelopeTempo.getSignPayload(TxEnvelopeTempo.deserialize(raw as never))),
    });
  });

  it('leaves validity and fee token undefined when the tx omits them', () => {
    const tx = decodeOk(NATIVE, signTempo(tempoEnvelope({ validBefore: undefined })));
    expect(tx.validBefore).toBeUndefined();
    expect(tx.validAfter).toBeUndefined();
    expect(tx.feeToken).toBeUndefined();
    expect(tx.feePayer).toBeUndefined();
  });

  it('returns a 32-byte nonce key as signed, e.g. a sub-block key with the 0x5b prefix', () => {
    const key = encodeSubblockNonceKey(new Uint8Array(15).fill(0xab), new Uint8Array(16).fill(0xcd));
    const tx = decodeOk(NATIVE, signTempo(tempoEnvelope({ nonceKey: BigInt(toHex(key)) })));
    expect(tx.nonceKey).toEqual(key);
  });

  it('computes the maximum fee as ceil(gas × maxFeePerGas / 10^12) in fee-token base units', () => {
    expect(decodeOk(NATIVE, signTempo(tempoEnvelope({ gas: 21_001n, maxFeePerGas: 1n }))).maxFee).toBe(1n);
    const exact = tempoEnvelope({ gas: 300_000n, maxFeePerGas: 40_000_000_000n });
    expect(decodeOk(NATIVE, signTempo(exact)).maxFee).toBe(12_000n);
    expect(decodeOk(NATIVE, signTempo(tempoEnvelope({ maxFeePerGas: undefined }))).maxFee).toBe(0n);
  });

  it('a tampered field still decodes but recovers a different sender', () => {
    const tx = signTempo(tempoEnvelope());
    const tampered = withTempoItem(tx, 7, '0x02');
    const decoded = decodeOk(NATIVE, tampered);
    expect(decoded.nonce).toBe(2n);
    expect(decoded.sender).not.toEqual(ALICE);
  });

  it('verifies a P256 signature and derives the sender from the embedded public key, with and without prehash', () => {
    for (const prehash of [false, true]) {
      const { tx, address } = signTempoP256(tempoEnvelope(), prehash);
      expect(decodeOk(NATIVE, tx).sender).toEqual(address);
    }
  });

  it('rejects a P256 signature that does not verify for the embedded key', () => {
    const { tx } = signTempoP256(tempoEnvelope(), false);
    const other = signTempoP256(tempoEnvelope({ nonce: 2n }), false);
    const mixed = concatBytes(
      tempoSignatureBytes(other.tx).subarray(0, 65),
      tempoSignatureBytes(tx).subarray(65),
    );
    expectReject(
      NATIVE,
      withTempoItem(tx, 13, toHex(mixed)),
      RejectCode.INVALID_FORMAT,
      'invalid p256 signature',
    );
  });

  it('rejects a high-s P256 signature (Tempo requires s ≤ n/2)', () => {
    const envelope = tempoEnvelope();
    const { tx, signature } = signTempoP256(envelope, false);
    const sig = tempoSignatureBytes(tx);
    const twinS = P256_N - signature.s;
    const highS = concatBytes(
      sig.subarray(0, 33),
      fromHex(Hex.fromNumber(twinS, { size: 32 })),
      sig.subarray(65),
    );
    const twin = new p256.Signature(signature.r, twinS).toBytes('compact');
    const hash = fromHex(TxEnvelopeTempo.getSignPayload(envelope));
    const publicKey = concatBytes(Uint8Array.of(4), sig.subarray(65, 129));
    expect(p256.verify(twin, hash, publicKey, { lowS: false, prehash: false })).toBe(true);
    expectReject(
      NATIVE,
      withTempoItem(tx, 13, toHex(highS)),
      RejectCode.INVALID_FORMAT,
      'invalid p256 signature',
    );
  });

  it('rejects signature envelopes whose validity needs chain state or Tempo-specific WebAuthn rules', () => {
    const envelope = tempoEnvelope();
    const inner = SignatureEnvelope.from(senderSignature(envelope, BOB_KEY));
    const keychain = SignatureEnvelope.serialize({
      type: 'keychain',
      userAddress: toHex(ALICE),
      inner,
      version: 'v2',
    });
    const webAuthn = SignatureEnvelope.serialize({
      type: 'webAuthn',
      metadata: {
        authenticatorData: `0x${'00'.repeat(32)}0500000000`,
        clientDataJSON: '{"type":"webauthn.get"}',
      },
      publicKey: { prefix: 4, x: 1n, y: 2n },
      signature: { r: 1n, s: 1n },
    });
    const tx = signTempo(envelope);
    const cases: [Hex.Hex, string][] = [
      [keychain, 'unsupported signature type: keychain'],
      [`0x03${keychain.slice(4)}`, 'unsupported signature type: keychain'],
      [webAuthn, 'unsupported signature type: webAuthn'],
      [`0x05${'00'.repeat(80)}`, 'unsupported signature type: multisig'],
      [`0x09${'00'.repeat(80)}`, 'unknown signature type'],
      ['0x', 'unknown signature type'],
    ];
    for (const [signature, message] of cases) {
      expectReject(NATIVE, withTempoItem(tx, 13, signature), RejectCode.INVALID_FORMAT, message);
    }
  });

  it('rejects a secp256k1 signature with a non-canonical v byte or a high s', () => {
    const envelope = tempoEnvelope();
    const tx = signTempo(envelope);
    const sig = tempoSignatureBytes(tx);
    const rawV = concatBytes(sig.subarray(0, 64), Uint8Array.of(sig[64]! - 27));
    expectReject(
      NATIVE,
      withTempoItem(tx, 13, toHex(rawV)),
      RejectCode.INVALID_FORMAT,
      'secp256k1 signature v must be 27 or 28',
    );
    const { r, s, yParity } = senderSignature(envelope);
    const twin = SignatureEnvelope.from({ r, s: SECP256K1_N - s, yParity: 1 - yParity });
    const highS = fromHex(TxEnvelopeTempo.serialize(envelope, { signature: twin }));
    const twinSigner = Secp256k1.recoverAddress({
      payload: TxEnvelopeTempo.getSignPayload(envelope),
      signature: twin.signature,
    });
    expect(fromHex(twinSigner)).toEqual(ALICE);
    expectReject(NATIVE, highS, RejectCode.INVALID_FORMAT, 'secp256k1 signature s is not low (EIP-2)');
  });

  it('recovers the fee payer of a sponsored tx and marks it sponsored only when the payer is someone else', () => {
    const envelope = tempoEnvelope({ feeToken: toHex(PATH_USD) });
    const sponsored = decodeOk(NATIVE, signSponsoredTempo(envelope, CAROL_KEY));
    expect(sponsored.sender).toEqual(ALICE);
    expect(sponsored.feePayer).toEqual(fromHex(privateKeyToAccount(CAROL_KEY).address));
    expect(sponsored.sponsored).toBe(true);
    expect(sponsored.feeToken).toEqual(PATH_USD);
    const selfPaid = decodeOk(NATIVE, signSponsoredTempo(envelope, ALICE_KEY));
    expect(selfPaid.feePayer).toEqual(ALICE);
    expect(selfPaid.sponsored).toBe(false);
  });

  it('rejects a fee payer placeholder (0x00) and an invalid fee payer signature', () => {
    const envelope = tempoEnvelope({ feePayerSignature: null });
    const placeholder = fromHex(
      TxEnvelopeTempo.serialize(envelope, { signature: SignatureEnvelope.from(senderSignature(envelope)) }),
    );
    expectReject(
      NATIVE,
      placeholder,
      RejectCode.INVALID_FORMAT,
      'fee payer signature is a placeholder (0x00)',
    );
    const zeroR = withTempoItem(placeholder, 11, ['0x', '0x', '0x01']);
    expectReject(
      NATIVE,
      zeroR,
      RejectCode.INVALID_FORMAT,
      'fee payer signature: invalid secp256k1 signature values',
    );
  });

  it('rejects a tx with two calls: exactly one call is allowed (fixes "only calls[0] inspected")', async () => {
    const raw = await Account.fromSecp256k1(ALICE_KEY).signTransaction({
      chainId: 1337,
      calls: [transferCall(BOB, 10n), transferCall(BOB, 1_000_000n)],
      nonceKey: 1n,
      gas: 200_000n,
      maxFeePerGas: 1n,
    } as never);
    expectReject(NATIVE, fromHex(raw), RejectCode.NOT_PAYMENT_TX, 'exactly one call is allowed');
  });

  it('rejects key authorizations and authorization lists: their effects cannot be accounted for', () => {
    const keyAuthorization = KeyAuthorization.fromRpc({
      chainId: '0x539',
      expiry: '0x174876e800',
      keyId: '0xbe95c3f554e9fc85ec51be69a3d807a0d55bcf2c',
      keyType: 'secp256k1',
      limits: [{ token: toHex(ALPHA_USD), limit: '0xf4240' }],
      signature: { type: 'secp256k1', r: '0x01', s: '0x01', yParity: '0x0' },
    });
    expectReject(
      NATIVE,
      signTempo(tempoEnvelope({ keyAuthorization })),
      RejectCode.NOT_PAYMENT_TX,
      'key authorization is not supported in a payment tx',
    );
    const unsignedAuthorization = AuthorizationTempo.from({
      address: toHex(CAROL),
      chainId: 1337,
      nonce: 0n,
    });
    const authorizationSignature = Secp256k1.sign({
      payload: AuthorizationTempo.getSignPayload(unsignedAuthorization),
      privateKey: ALICE_KEY,
    });
    const authorization = AuthorizationTempo.from(unsignedAuthorization, {
      signature: SignatureEnvelope.from(authorizationSignature),
    });
    expectReject(
      NATIVE,
      signTempo(tempoEnvelope({ authorizationList: [authorization] })),
      RejectCode.NOT_PAYMENT_TX,
      'authorization list is not supported in a payment tx',
    );
  });

  it('applies the payment rules to the single call', () => {
    const sign = (call: TxEnvelopeTempo.Call) => signTempo(tempoEnvelope({ calls: [call] }));
    const transfer = transferData(BOB, 10n);
    const data = fromHex(transfer);
    const cases: [TxEnvelopeTempo.Call, RejectCode, string][] = [
      [
        { ...transferCall(BOB, 10n), value: 1n },
        RejectCode.NOT_PAYMENT_TX,
        'native value transfers are not supported',
      ],
      [{ data: transfer }, RejectCode.NOT_PAYMENT_TX, 'contract creation is not a payment tx'],
      [
        { to: toHex(BOB), data: transfer },
        RejectCode.NOT_PAYMENT_TX,
        'token address is not TIP-20 payment-prefixed',
      ],
      [
        { to: '0x20c0ff0000000000000000000000000000000001', data: transfer },
        RejectCode.NOT_PAYMENT_TX,
        'token address is not TIP-20 payment-prefixed',
      ],
      [{ to: toHex(ALPHA_USD), data: `${transfer}00` }, RejectCode.NOT_PAYMENT_TX, 'unsupported call data'],
      [{ to: toHex(ALPHA_USD) }, RejectCode.NOT_PAYMENT_TX, 'unsupported call data'],
      [
        {
          to: toHex(ALPHA_USD),
          data: encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [toHex(BOB), 10n] }),
        },
        RejectCode.NOT_PAYMENT_TX,
        'unsupported call data',
      ],
      [
        {
          to: toHex(ALPHA_USD),
          data: toHex(concatBytes(data.subarray(0, 4), Uint8Array.of(1), data.subarray(5))),
        },
        RejectCode.INVALID_FORMAT,
        'invalid recipient encoding',
      ],
      [
        { to: toHex(ALPHA_USD), data: transferData(BOB, 1n << 64n) },
        RejectCode.INVALID_FORMAT,
        'amount does not fit u64',
      ],
    ];
    for (const [call, code, message] of cases) expectReject(NATIVE, sign(call), code, message);
    expect(
      decodeOk(NATIVE, sign({ to: toHex(ALPHA_USD), data: transferData(BOB, (1n << 64n) - 1n) })).amount,
    ).toBe((1n << 64n) - 1n);
  });

  it('rejects a fee token outside the TIP-20 address range', () => {
    expectReject(
      NATIVE,
      signTempo(tempoEnvelope({ feeToken: toHex(BOB) })),
      RejectCode.INVALID_FORMAT,
      'fee token is not a TIP-20 token',
    );
  });

  it('rejects values wider than the chain decodes: nonce and gas u64, fees per gas u128, nonce key 32 bytes', () => {
    const cases: [Partial<TxEnvelopeTempo.TxEnvelopeTempo>, string][] = [
      [{ nonce: 1n << 64n }, 'nonce does not fit u64'],
      [{ gas: 1n << 64n }, 'gas limit does not fit u64'],
      [{ maxFeePerGas: 1n << 128n }, 'fee per gas does not fit u128'],
      [{ nonceKey: 1n << 256n }, 'nonceKey exceeds 32 bytes'],
    ];
    for (const [overrides, message] of cases)
      expectReject(NATIVE, signTempo(tempoEnvelope(overrides)), RejectCode.INVALID_FORMAT, message);
  });

  it('rejects bytes that are not exactly the canonical encoding', () => {
    const tx = signTempo(tempoEnvelope());
    expectReject(
      NATIVE,
      concatBytes(tx, Uint8Array.of(0)),
      RejectCode.INVALID_FORMAT,
      'non-canonical tempo tx encoding',
    );
    expectReject(
      NATIVE,
      withTempoItem(tx, 7, '0x0001'),
      RejectCode.INVALID_FORMAT,
      'non-canonical integer in tempo tx',
    );
    expectReject(
      NATIVE,
      withTempoItem(tx, 8, '0x00'),
      RejectCode.INVALID_FORMAT,
      'non-canonical integer in tempo tx',
    );
    const longForm = concatBytes(
      Uint8Array.of(0x76, 0xb9),
      fromHex(Hex.fromNumber(tx.length - 3, { size: 2 })),
      tx.subarray(3),
    );
    expect(tx[1]).toBe(0xf8);
    expectReject(
      NATIVE,
      longForm,
      RejectCode.INVALID_FORMAT,
      /^(expected RLP list|invalid tempo tx encoding)/,
    );
  });

  it('rejects malformed 0x76 payloads with INVALID_FORMAT', () => {
    const tx = signTempo(tempoEnvelope());
    const items = tempoItems(tx);
    expectReject(
      NATIVE,
      tx.subarray(0, tx.length - 1),
      RejectCode.INVALID_FORMAT,
      /^invalid tempo tx encoding/,
    );
    expectReject(
      NATIVE,
      Uint8Array.of(0x76),
      RejectCode.INVALID_FORMAT,
      'expected RLP list for tempo tx body',
    );
    expectReject(
      NATIVE,
      Uint8Array.of(0x76, 0x81, 0x80),
      RejectCode.INVALID_FORMAT,
      'expected RLP list for tempo tx body',
    );
    expectReject(
      NATIVE,
      tempoFromItems(items.slice(0, 13)),
      RejectCode.INVALID_FORMAT,
      'expected 13 tempo tx fields and a signature, got 13 items',
    );
    expectReject(
      NATIVE,
      withTempoItem(tx, 0, '0x'),
      RejectCode.INVALID_FORMAT,
      'invalid tempo tx encoding: malformed fields',
    );
    expectReject(
      NATIVE,
      withTempoItem(tx, 4, []),
      RejectCode.INVALID_FORMAT,
      'invalid tempo tx encoding: Calls list cannot be empty.',
    );
    expectReject(
      NATIVE,
      withTempoItem(tx, 4, '0x01'),
      RejectCode.INVALID_FORMAT,
      'invalid tempo tx encoding: malformed fields',
    );
    expectReject(
      NATIVE,
      concatBytes(Uint8Array.of(0x77), tx.subarray(1)),
      RejectCode.INVALID_FORMAT,
      'not a Tempo native tx (expected 0x76 prefix)',
    );
    expectReject(
      NATIVE,
      APPENDIX_A_LEGACY,
      RejectCode.INVALID_FORMAT,
      'not a Tempo native tx (expected 0x76 prefix)',
    );
  });
});

describe('decodeTempoTx: EVM_OPAQUE_BYTES_V1', () => {
  it('decodes the Appendix A legacy tx: Alice pays Bob 10 of 0x20c0…aaaa on chain 1337', () => {
    expect(decodeOk(EVM, APPENDIX_A_LEGACY)).toEqual({
      kind: 'legacy',
      sender: ALICE,
      chainId: 1337n,
      nonceKey: new Uint8Array(32),
      nonce: 0n,
      recipient: BOB,
      amount: 10n,
      asset: fromHex('0x20c000000000000000000000aaaaaaaaaaaaaaaa'),
      sponsored: false,
      maxFee: 1n,
      gasLimit: 80_000n,
      maxFeePerGas: 1n,
      signingHash: fromHex('d7188a03738dfde32b695800ae8a8d98434d64f4b9402b4df5e6264e77622825'),
    });
  });

  it('decodes viem-signed EIP-1559 and EIP-2930 transfers with their nonce and maximum fee', async () => {
    const alice = privateKeyToAccount(ALICE_KEY);
    const base = {
      chainId: 4217,
      to: toHex(ALPHA_USD),
      data: transferData(BOB, 77n),
      nonce: 9,
      gas: 50_000n,
    };
    const eip1559 = await alice.signTransaction({
      ...base,
      type: 'eip1559',
      maxFeePerGas: 30_000_000_000n,
      maxPriorityFeePerGas: 1n,
    });
    const eip2930 = await alice.signTransaction({
      ...base,
      type: 'eip2930',
      gasPrice: 30_000_000_001n,
      accessList: [],
    });
    for (const [raw, kind, maxFee] of [
      [eip1559, 'eip1559', 1500n],
      [eip2930, 'eip2930', 1501n],
    ] as const) {
      const tx = decodeOk(EVM, fromHex(raw));
      expect(tx).toMatchObject({
        kind,
        sender: ALICE,
        chainId: 4217n,
        nonce: 9n,
        recipient: BOB,
        amount: 77n,
        asset: ALPHA_USD,
        maxFee,
      });
      expect(tx.nonceKey).toEqual(new Uint8Array(32));
      expect(tx.feeToken).toBeUndefined();
    }
  });

  it('rejects a pre-EIP-155 legacy tx: without a chain id it is replayable on any chain', async () => {
    const raw = await privateKeyToAccount(ALICE_KEY).signTransaction({
      type: 'legacy',
      to: toHex(ALPHA_USD),
      data: transferData(BOB, 10n),
      gas: 80_000n,
      gasPrice: 1n,
    });
    expect(parseTransaction(raw).v).toBe(27n + BigInt(parseTransaction(raw).yParity ?? 0));
    expectReject(
      EVM,
      fromHex(raw),
      RejectCode.INVALID_FORMAT,
      'legacy tx without EIP-155 chain id is replayable',
    );
  });

  it('rejects blob (0x03) and set-code (0x04) txs as not payments, and other type bytes as invalid', () => {
    expectReject(EVM, fromHex('0x03c0'), RejectCode.NOT_PAYMENT_TX, 'unsupported ethereum tx type');
    expectReject(EVM, fromHex('0x04c0'), RejectCode.NOT_PAYMENT_TX, 'unsupported ethereum tx type');
    expectReject(EVM, signTempo(tempoEnvelope()), RejectCode.INVALID_FORMAT, 'invalid ethereum tx encoding');
    expectReject(EVM, fromHex('0x7f'), RejectCode.INVALID_FORMAT, 'invalid ethereum tx encoding');
  });

  it('rejects unsigned, trailing-data, non-canonical and high-s encodings', () => {
    const parsed = parseTransaction(toHex(APPENDIX_A_LEGACY));
    const { r, s, v, yParity, ...unsigned } = parsed;
    expectReject(
      EVM,
      fromHex(serializeTransaction(unsigned)),
      RejectCode.INVALID_FORMAT,
      'ethereum tx is not signed',
    );
    expectReject(
      EVM,
      concatBytes(APPENDIX_A_LEGACY, Uint8Array.of(0x80)),
      RejectCode.INVALID_FORMAT,
      'invalid ethereum tx encoding',
    );
    expect(APPENDIX_A_LEGACY[2]).toBe(0x80);
    const zeroByteNonce = concatBytes(
      APPENDIX_A_LEGACY.subarray(0, 2),
      Uint8Array.of(0x00),
      APPENDIX_A_LEGACY.subarray(3),
    );
    expectReject(EVM, zeroByteNonce, RejectCode.INVALID_FORMAT, 'non-canonical ethereum tx encoding');
    expectReject(
      EVM,
      APPENDIX_A_LEGACY.subarray(0, 100),
      RejectCode.INVALID_FORMAT,
      'invalid ethereum tx encoding',
    );
    const highS = serializeTransaction(unsigned, {
      r: r!,
      s: Hex.fromNumber(SECP256K1_N - BigInt(s!), { size: 32 }),
      v: 1337n * 2n + 35n + BigInt(1 - yParity!),
    });
    expectReject(EVM, fromHex(highS), RejectCode.INVALID_FORMAT, 'secp256k1 signature s is not low (EIP-2)');
    expect(v).toBe(0xa96n);
  });

  it('applies the payment rules to an EVM tx', async () => {
    const alice = privateKeyToAccount(ALICE_KEY);
    const base = { type: 'eip1559', chainId: 1337, gas: 50_000n, maxFeePerGas: 1n } as const;
    const cases: [Parameters<typeof alice.signTransaction>[0], RejectCode, string][] = [
      [
        { ...base, to: toHex(ALPHA_USD), data: transferData(BOB, 1n), value: 1n },
        RejectCode.NOT_PAYMENT_TX,
        'native value transfers are not supported',
      ],
      [
        { ...base, data: transferData(BOB, 1n) },
        RejectCode.NOT_PAYMENT_TX,
        'contract creation is not a payment tx',
      ],
      [
        { ...base, to: '0x20c0000000000000000000010000000000000001', data: transferData(BOB, 1n) },
        RejectCode.NOT_PAYMENT_TX,
        'token address is not TIP-20 payment-prefixed',
      ],
      [
        { ...base, to: toHex(ALPHA_USD), data: '0xa9059cbb' },
        RejectCode.NOT_PAYMENT_TX,
        'unsupported call data',
      ],
    ];
    for (const [request, code, message] of cases)
      expectReject(EVM, fromHex(await alice.signTransaction(request)), code, message);
  });
});

describe('decodeTempoTx: size and format', () => {
  it('rejects empty and oversized payloads before looking at the format (reference A5, A6)', () => {
    expectReject(NATIVE, new Uint8Array(), RejectCode.INVALID_FORMAT, 'empty tempo_tx');
    expectReject(
      0,
      new Uint8Array(MAX_TEMPO_TX_BYTES + 1),
      RejectCode.INVALID_FORMAT,
      'tempo_tx exceeds maximum size',
    );
  });

  it('rejects an unspecified or unknown format (reference A7, A8)', () => {
    expectReject(0, APPENDIX_A_LEGACY, RejectCode.INVALID_FORMAT, 'tempo_tx_format must be specified');
    expectReject(4, APPENDIX_A_LEGACY, RejectCode.INVALID_FORMAT, 'unknown tempo_tx_format value');
    expectReject(-1, APPENDIX_A_LEGACY, RejectCode.INVALID_FORMAT, 'unknown tempo_tx_format value');
  });
});
