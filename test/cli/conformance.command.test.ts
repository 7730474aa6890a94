import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { effectsHash } from '../../src/protocol/hashing.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VECTORS = join(ROOT, 'vectors');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function allegro(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/allegro.mjs'), ...args],
      { cwd: ROOT },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

describe('allegro conformance FILE... (end to end)', () => {
  let dir: string;
  let vectorFiles: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'allegro-conformance-'));
    vectorFiles = (await readdir(VECTORS)).filter((f) => f.endsWith('.json')).map((f) => join(VECTORS, f));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes every output of the reference vectors with exit code 0', async () => {
    const run = await allegro('conformance', ...vectorFiles);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const outputs = lines.filter((l) => l.startsWith('PASS demo_vector_1 ')).map((l) => l.split(' ')[2]);
    expect(outputs).toEqual(['tx_hash', 'effects_hash', 'cert_preimage', 'cert_digest', 'qc_hash']);
    expect(run.stdout).not.toMatch(/FAIL/);
  });

  it('fails a tampered copy with exit code 1 and shows expected and computed values', async () => {
    const golden = JSON.parse(await readFile(join(VECTORS, 'reference_hash_vector_1.json'), 'utf8'));
    const real = golden.expected.cert_digest_hex as string;
    golden.expected.cert_digest_hex = `ff${real.slice(2)}`;
    const tampered = join(dir, 'tampered.json');
    await writeFile(tampered, JSON.stringify(golden));
    const run = await allegro('conformance', tampered);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `FAIL demo_vector_1 cert_digest expected 0xff${real.slice(2)} computed 0x${real}`,
    );
    expect(run.stdout).toContain('PASS demo_vector_1 tx_hash');
  });

  it('reports a malformed file by name, still checks the other files, and exits 1', async () => {
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"vector_name": ');
    const run = await allegro('conformance', broken, ...vectorFiles);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`ERROR ${broken}: `);
    expect(run.stdout).toContain('PASS demo_vector_1 qc_hash');
  });

  it('reads a reference-format file exactly: u64 numbers above 2^53, a null parent', async () => {
    const text = await readFile(join(VECTORS, 'reference_hash_vector_1.json'), 'utf8');
    const golden = JSON.parse(text);
    const seq = 18446744073709551615n;
    const suite = createNodeCryptoSuite();
    const expected = effectsHash(suite, {
      sender: fromHex(golden.sender_hex),
      recipient: fromHex(golden.recipient_hex),
      amount: BigInt(golden.amount),
      asset: fromHex(golden.asset_hex),
      nonce: { nonceKey: fromHex(golden.nonce_key_hex), seq },
    });
    const exact = join(dir, 'exact.json');
    await writeFile(
      exact,
      text
        .replace(/"nonce_seq": \d+/, `"nonce_seq": ${seq}`)
        .replace(/"parent_qc_hash_hex": "[0-9a-f]+"/, '"parent_qc_hash_hex": null')
        .replace(/"expected": \{[^}]*\}/, `"expected": { "effects_hash_hex": "${toHex(expected)}" }`),
    );
    const run = await allegro('conformance', exact);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`PASS demo_vector_1 effects_hash ${toHex(expected)}`);
    expect(run.code).toBe(0);
  });

  it('prints its usage with --help and exits 0', async () => {
    const run = await allegro('conformance', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: allegro conformance FILE...');
  });
});
