import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { createClient } from '../../src/wire/grpc-client.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { startTestSidecar, VALIDATOR } from './test-sidecar.ts';

/** A throw-away self-signed certificate for IP 127.0.0.1, made with the openssl CLI. */
function selfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'allegro-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('grpc-js adapter with TLS', () => {
  const tls = selfSignedCertificate();
  let sidecar: Awaited<ReturnType<typeof startTestSidecar>>;

  beforeAll(async () => {
    sidecar = await startTestSidecar(tls);
  });

  afterAll(() => sidecar.server.forceShutdown());

  it('serves a client that trusts the server certificate', async () => {
    const client = createClient(FastPaySidecar, sidecar.address, { tls: { rootCert: tls.cert } });
    try {
      expect((await client.getValidatorInfo({})).validator?.name).toBe(VALIDATOR.name);
    } finally {
      client.close();
    }
  });

  it('refuses a plaintext client', async () => {
    const client = createClient(FastPaySidecar, sidecar.address);
    try {
      const error = await client.getValidatorInfo({}, { timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WireError);
      expect((error as WireError).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });
});
