import { status } from '@grpc/grpc-js';
import type { FastPayAggregator } from '../../../gen/tempo/fastpay/v1/aggregator_pb.ts';
import type { TxLifecycleUpdate_Stage } from '../../../gen/tempo/fastpay/v1/types_pb.ts';
import { bytesEqual, fromHex, toHex } from '../../protocol/bytes.ts';
import { quorumThreshold } from '../../protocol/committee.ts';
import { HASH_LENGTH } from '../../protocol/hashing.ts';
import { RejectCode, reject } from '../../protocol/reject.ts';
import { apiStageToWire } from '../../protocol/stage.ts';
import { quorumCertificateToProto, validatorCertificateToProto } from '../../wire/convert-certificate.ts';
import { rejectToProto } from '../../wire/convert-reject.ts';
import { submitRequestFromProto } from '../../wire/convert-request.ts';
import type { ServiceImpl } from '../../wire/grpc-server.ts';
import { WireError } from '../../wire/wire-error.ts';
import { boardQueryOf } from '../shared/board-query.ts';
import type { Aggregator } from './aggregator.ts';
import type { AggregatorMetrics } from './aggregator-metrics.ts';

/**
 * The `FastPayAggregator` gRPC service (reference §2.3, §9.3) over the Aggregator. Departures, per §14: only
 * certificates that verify against the committee are returned or counted, `threshold_met` means a QC formed,
 * rejects are reported per validator with its id and key, the aggregator's own refusal of a malformed payment
 * comes back in band as a reject from validator "aggregator", and GetTxStatus reports real stages.
 */
export function aggregatorService(
  aggregator: Aggregator,
  metrics: AggregatorMetrics,
): ServiceImpl<typeof FastPayAggregator> {
  const counted = (method: string) => metrics.requests.inc({ api: 'grpc', operation: method });
  const threshold = quorumThreshold(aggregator.committee);
  const txKey = (bytes: Uint8Array, code: status | 'reject') => {
    if (bytes.length === HASH_LENGTH) return toHex(bytes);
    const message = `invalid tx_hash: expected ${HASH_LENGTH} bytes, got ${bytes.length}`;
    if (code === 'reject') return { reject: reject(RejectCode.INVALID_FORMAT, message) };
    throw new WireError(code, message);
  };
  return {
    async submitFastPay(req) {
      counted('SubmitFastPay');
      if (!req.tx) throw new WireError(status.INVALID_ARGUMENT, 'missing tx');
      const outcome = await aggregator.submit(submitRequestFromProto(req));
      if (!outcome.ok) {
        return {
          rejects: [{ validator: { name: 'aggregator' }, reject: rejectToProto(outcome.reject) }],
          thresholdMet: false,
        };
      }
      const { payment, effectsHash, qc, certs, rejections } = outcome.submission;
      return {
        txHash: fromHex(payment.txHash),
        effectsHash,
        certs: certs.map(validatorCertificateToProto),
        rejects: rejections.map(({ member, reject: r }) => ({
          validator: { name: member.name, id: member.id, pubkey: member.publicKey },
          reject: rejectToProto(r),
        })),
        thresholdMet: qc !== undefined,
      };
    },

    async getBulletinBoard(req) {
      counted('GetBulletinBoard');
      const page = await aggregator.bulletinBoard(boardQueryOf(req));
      if (!page.ok) throw new WireError(status.INVALID_ARGUMENT, page.message);
      if (page.answered === 0 && page.certs.length === 0) {
        throw new WireError(status.UNAVAILABLE, 'all sidecars unavailable');
      }
      return { certs: page.certs.map(validatorCertificateToProto), nextCursor: page.nextCursor };
    },

    async getQuorumCertificate(req) {
      counted('GetQuorumCertificate');
      const refuse = (code: RejectCode, message: string) => ({
        result: { case: 'reject' as const, value: rejectToProto(reject(code, message)) },
      });
      if (req.threshold !== 0 && req.threshold !== threshold) {
        return refuse(
          RejectCode.INVALID_FORMAT,
          `threshold must be 0 or the committee's quorum ${threshold}, never a caller's choice`,
        );
      }
      const key = txKey(req.txHash, 'reject');
      if (typeof key !== 'string') return { result: { case: 'reject', value: rejectToProto(key.reject) } };
      const payment = await aggregator.lookup(key);
      const qc = await aggregator.storedQuorumCertificate(key);
      if (!qc) {
        const have = payment?.certificates.length ?? 0;
        return refuse(
          RejectCode.TEMPORARY_UNAVAILABLE,
          payment
            ? `threshold not met: required ${threshold}, have ${have} verified`
            : 'no certificates found for tx_hash',
        );
      }
      if (req.effectsHash.length > 0 && !bytesEqual(req.effectsHash, qc.effectsHash)) {
        return refuse(RejectCode.INVALID_FORMAT, 'the quorum certified other effects than effects_hash');
      }
      return { result: { case: 'qc', value: quorumCertificateToProto(qc) } };
    },

    async getChainHead() {
      counted('GetChainHead');
      const head = aggregator.head();
      if (!head) throw new WireError(status.UNAVAILABLE, 'no chain head known yet');
      return { blockHeight: head.height, blockHash: head.hash, unixMillis: head.timestampMs };
    },

    async getTxStatus(req) {
      counted('GetTxStatus');
      const key = txKey(req.txHash, status.INVALID_ARGUMENT) as string;
      const payment = await aggregator.lookup(key);
      const observed = aggregator.head()?.height ?? 0n;
      if (!payment) {
        return { txHash: req.txHash, observedBlockHeight: observed };
      }
      return {
        txHash: req.txHash,
        certs: (await aggregator.storedCertificates(key)).map(validatorCertificateToProto),
        qcFormed: payment.qcHash !== null,
        qcHash: payment.qcHash ? fromHex(payment.qcHash) : new Uint8Array(),
        stage: apiStageToWire(payment.stage) as number as TxLifecycleUpdate_Stage,
        observedBlockHeight: observed,
        lastUpdatedUnixMillis: BigInt(payment.updatedAt),
      };
    },
  };
}
