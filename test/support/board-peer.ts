import * as grpc from '@grpc/grpc-js';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { BulletinBoard } from '../../src/services/shared/bulletin-board.ts';
import { LifecycleHub } from '../../src/services/sidecar/lifecycle-hub.ts';
import { sidecarService } from '../../src/services/sidecar/sidecar-service.ts';
import { addService, listen } from '../../src/wire/grpc-server.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { suite, type ValidatorIdentity } from './validator-harness.ts';

/** A peer sidecar on 127.0.0.1 that serves its bulletin board and validator info; it certifies nothing. */
export interface BoardPeer {
  readonly port: number;
  readonly address: string;
  readonly board: BulletinBoard;
  stop(): Promise<void>;
}

/**
 * Serves the real sidecar gRPC service for `validator` over `board` (a fresh one by default) on 127.0.0.1,
 * at `port` (to come back where a stopped peer was) or an ephemeral one. Submissions fail UNIMPLEMENTED.
 */
export async function startBoardPeer(
  validator: ValidatorIdentity,
  options: { readonly board?: BulletinBoard; readonly port?: number } = {},
): Promise<BoardPeer> {
  const board = options.board ?? new BulletinBoard();
  const server = new grpc.Server();
  const service = sidecarService({
    identity: {
      name: validator.name,
      id: validator.id,
      publicKey: suite.ed25519.signer(validator.seed).publicKey,
    },
    peers: [],
    submit: () => Promise.reject(new WireError(grpc.status.UNIMPLEMENTED, 'this peer certifies nothing')),
    board,
    lifecycle: new LifecycleHub(16),
    head: () => ({ height: 1n, hash: new Uint8Array(32), timestampMs: 1_700_000_000_000n }),
    followsChain: false,
  });
  addService(server, FastPaySidecar, service);
  const port = await listen(server, `127.0.0.1:${options.port ?? 0}`);
  return {
    port,
    address: `127.0.0.1:${port}`,
    board,
    async stop() {
      server.forceShutdown();
    },
  };
}

/** Tracks started peers (and anything else with `stop`) so a test's `afterEach` stops all of them. */
export class Running {
  readonly #running: { stop(): Promise<void> }[] = [];

  track<T extends { stop(): Promise<void> }>(started: T): T {
    this.#running.push(started);
    return started;
  }

  async peer(...args: Parameters<typeof startBoardPeer>): Promise<BoardPeer> {
    return this.track(await startBoardPeer(...args));
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.#running.splice(0).map((r) => r.stop()));
  }
}
