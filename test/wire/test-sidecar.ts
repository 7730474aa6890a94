import * as grpc from '@grpc/grpc-js';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { TxLifecycleUpdate_Stage } from '../../gen/tempo/fastpay/v1/types_pb.js';
import { addService, listen, type ServerTls, type ServiceImpl } from '../../src/wire/grpc-server.ts';
import { WireError } from '../../src/wire/wire-error.ts';

/** Client request ids that make the test sidecar misbehave on purpose. */
export const BOOM = 'boom';
export const REFUSE = 'refuse';
export const HANG = 'hang';
export const LATE_BOOM = 'late-boom';

export const VALIDATOR = {
  name: 'test-validator',
  id: new Uint8Array(32).fill(0x44),
  pubkey: new Uint8Array(32).fill(7),
};

/** Records what the handlers observed, for assertions. */
export interface Observed {
  readonly aborted: string[];
  readonly unexpected: unknown[];
}

function abortedPromise(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * A tiny FastPaySidecar: certifies every tx, echoing its chain id as the creation time. It throws a plain
 * Error for `BOOM` (streams: after their events for `LATE_BOOM`), a WireError for `REFUSE`, and waits for
 * cancellation for `HANG`.
 */
export function testSidecar(observed: Observed): ServiceImpl<typeof FastPaySidecar> {
  const certify = (request: { tx?: { clientRequestId: string; chainId?: { value: bigint } } }) => {
    const id = request.tx?.clientRequestId ?? '';
    if (id === BOOM) throw new Error('handler bug');
    if (id === REFUSE) throw new WireError(grpc.status.FAILED_PRECONDITION, 'refused on purpose');
    return {
      signer: VALIDATOR,
      txHash: new Uint8Array(32).fill(1),
      effectsHash: new Uint8Array(32).fill(2),
      signature: new Uint8Array(64).fill(3),
      createdUnixMillis: request.tx?.chainId?.value ?? 0n,
    };
  };
  return {
    async submitFastPay(request, call) {
      if (request.tx?.clientRequestId === HANG) {
        await abortedPromise(call.signal);
        observed.aborted.push('submitFastPay');
      }
      return { result: { case: 'cert', value: certify(request) } };
    },
    async *submitFastPayStream(request, call) {
      yield { event: { case: 'cert', value: certify(request) } };
      for (const stage of [TxLifecycleUpdate_Stage.CERTIFIED, TxLifecycleUpdate_Stage.QC_FORMED]) {
        yield {
          event: { case: 'lifecycle', value: { txHash: new Uint8Array(32).fill(1), stage, message: 'ok' } },
        };
      }
      if (request.tx?.clientRequestId === HANG) {
        await abortedPromise(call.signal);
        observed.aborted.push('submitFastPayStream');
        return;
      }
      if (request.tx?.clientRequestId === LATE_BOOM) throw new Error('late handler bug');
    },
    async getBulletinBoard() {
      throw new WireError(grpc.status.UNIMPLEMENTED, 'no bulletin board here');
    },
    async submitFastPayBatch() {
      throw new WireError(grpc.status.UNIMPLEMENTED, 'no batch here, as at the reference sidecar');
    },
    async getValidatorInfo(_request, call) {
      return { validator: VALIDATOR, gossipPeers: [call.peer] };
    },
    async getChainHead() {
      return {
        blockHeight: 2n ** 64n - 1n,
        blockHash: new Uint8Array(32).fill(9),
        unixMillis: 1_700_000_000_000n,
      };
    },
  };
}

/** Starts the test sidecar on 127.0.0.1 with an ephemeral port. */
export async function startTestSidecar(tls?: ServerTls) {
  const observed: Observed = { aborted: [], unexpected: [] };
  const server = new grpc.Server();
  addService(server, FastPaySidecar, testSidecar(observed), {
    onUnexpectedError: (error) => observed.unexpected.push(error),
  });
  const port = await listen(server, '127.0.0.1:0', tls);
  return { server, address: `127.0.0.1:${port}`, observed };
}
