import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TxLifecycleUpdate_Stage, TxLifecycleUpdateSchema } from '../../gen/tempo/fastpay/v1/types_pb.ts';
import type { LifecycleUpdate } from '../protocol/stage.ts';

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
