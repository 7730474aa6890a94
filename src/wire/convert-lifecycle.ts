import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  TxLifecycleUpdate,
  TxLifecycleUpdate_Stage,
  TxLifecycleUpdateSchema,
} from '../../gen/tempo/fastpay/v1/types_pb.ts';
import type { LifecycleUpdate, WireStage } from '../protocol/stage.ts';

/** A lifecycle update as a `TxLifecycleUpdate` message; WireStage shares the proto enum's numbers (reference §2.1). */
export function lifecycleToProto(u: LifecycleUpdate): MessageInitShape<typeof TxLifecycleUpdateSchema> {
  return {
    txHash: u.txHash,
    stage: u.stage as number as TxLifecycleUpdate_Stage,
    unixMillis: u.unixMillis,
    blockHeight: u.blockHeight,
    blockHash: u.blockHash ?? new Uint8Array(),
    message: u.message ?? '',
  };
}

/** Inverse of `lifecycleToProto`: an empty block hash or message is absent. */
export function lifecycleFromProto(m: TxLifecycleUpdate): LifecycleUpdate {
  return {
    txHash: m.txHash,
    stage: m.stage as number as WireStage,
    unixMillis: m.unixMillis,
    blockHeight: m.blockHeight,
    ...(m.blockHash.length > 0 ? { blockHash: m.blockHash } : {}),
    ...(m.message !== '' ? { message: m.message } : {}),
  };
}
