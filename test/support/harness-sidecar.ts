import * as grpc from '@grpc/grpc-js';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import type { SubmitRequest } from '../../src/protocol/types.ts';
import type { ChainView } from '../../src/protocol/validation/chain-view.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { demoBalances } from '../../src/services/sidecar/demo-balances.ts';
import { validatorCertificateToProto } from '../../src/wire/convert-certificate.ts';
import { rejectToProto } from '../../src/wire/convert-reject.ts';
import { submitRequestFromProto } from '../../src/wire/convert-request.ts';
import { addService, listen } from '../../src/wire/grpc-server.ts';
import type { SubmitAnswer } from '../../src/wire/sidecar-transport.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { ALPHA_USD } from './demo-keys.ts';
import type { HarnessValidator } from './validator-harness.ts';

/** A standalone sidecar's chain: a static 2023 head and the demo balances in AlphaUSD, no fees (reference §6.5). */
export function demoChainView(): ChainView {
  return createStaticChainView({
    head: { height: 10n, timestampMs: BigInt(Date.now()) },
    balances: demoBalances(ALPHA_USD),
  });
}

/** A harness validator's decision as the sidecar's in-band answer (a certificate or a reject). */
export function harnessAnswer(validator: HarnessValidator, request: SubmitRequest): SubmitAnswer {
  const { decision, cert } = validator.submit(request);
  if (cert) return { cert };
  if (decision.kind === 'reject') return { reject: decision.reject };
  throw new Error(`the harness chain view left the decision at ${decision.kind}`);
}

/** Answers one submission; `signal` aborts when the client cancels or its deadline passes. */
export type SidecarSubmit = (
  request: SubmitRequest,
  signal: AbortSignal,
) => SubmitAnswer | Promise<SubmitAnswer>;

const unimplemented = () => {
  throw new WireError(grpc.status.UNIMPLEMENTED, 'not served by the test sidecar');
};

/** A FastPaySidecar on 127.0.0.1 (ephemeral port) whose SubmitFastPay runs `submit`; `stop` shuts it down. */
export async function serveSidecar(submit: SidecarSubmit): Promise<{ url: string; stop: () => void }> {
  const server = new grpc.Server();
  addService(server, FastPaySidecar, {
    async submitFastPay(request, call) {
      const answer = await submit(submitRequestFromProto(request), call.signal);
      return 'cert' in answer
        ? { result: { case: 'cert', value: validatorCertificateToProto(answer.cert) } }
        : { result: { case: 'reject', value: rejectToProto(answer.reject) } };
    },
    submitFastPayStream: unimplemented,
    getBulletinBoard: unimplemented,
    getValidatorInfo: unimplemented,
    getChainHead: unimplemented,
    submitFastPayBatch: unimplemented,
  });
  const port = await listen(server, '127.0.0.1:0');
  return { url: `http://127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
