import { readFile } from 'node:fs/promises';
import { checkHashVector } from '../protocol/conformance.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { parseExactJson } from '../protocol/exact-json.ts';
import { parseHashVector } from '../protocol/hash-vector.ts';
import { type Command, UsageError } from './command.ts';

/**
 * Reads a vector file: one vector object or a list of them, u64 numbers above 2^53 read exactly; a message when
 * it is unreadable or not JSON.
 */
async function readVectors(file: string): Promise<unknown[] | string> {
  try {
    const json = parseExactJson(await readFile(file, 'utf8'));
    const items = Array.isArray(json) ? json : [json];
    return items.length > 0 ? items : 'the file holds no vectors';
  } catch (err) {
    return (err as Error).message;
  }
}

/** `allegro conformance FILE...`: checks hash vectors against our canonical hashing (reference §3.5). */
export const conformanceCommand: Command = {
  name: 'conformance',
  summary: 'check hash vector files against Allegro canonical hashing',
  usage: 'conformance FILE...',
  description: [
    'Each FILE holds one vector (or a list) in the format of the reference hash_vectors.json, with',
    'optional qc_certs [{signer_id_hex, signature_hex, created_unix_millis}] with qc_threshold; without',
    'qc_certs the reference golden QC (two fixed certificates, threshold 2) is used. Hex may carry 0x; u64s',
    'are read exactly (also above 2^53); parent_qc_hash_hex may be null; domain_tag and protocol_version, when',
    'given, enter the certificate preimage as in the reference.',
    'Prints one PASS/FAIL line per vector output and an ERROR line per malformed file.',
    'Exit code 0 only when every output of every file matches; 1 on a mismatch or a malformed file.',
  ].join('\n'),
  options: {},
  allowPositionals: true,
  async run(_values, files) {
    if (files.length === 0) throw new UsageError('at least one FILE is required');
    const suite = createNodeCryptoSuite();
    let passed = 0;
    let failed = 0;
    for (const file of files) {
      const items = await readVectors(file);
      if (typeof items === 'string') {
        console.error(`ERROR ${file}: ${items}`);
        failed++;
        continue;
      }
      for (const [i, item] of items.entries()) {
        const parsed = parseHashVector(item);
        if (!parsed.ok) {
          console.error(`ERROR ${file}${items.length > 1 ? `[${i}]` : ''}: ${parsed.message}`);
          failed++;
          continue;
        }
        for (const check of checkHashVector(suite, parsed.vector)) {
          const subject = `${parsed.vector.name} ${check.output}`;
          if (check.pass) {
            console.log(`PASS ${subject} ${check.computed}`);
            passed++;
          } else {
            console.log(`FAIL ${subject} expected ${check.expected} computed ${check.computed}`);
            failed++;
          }
        }
      }
    }
    console.log(`${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  },
};
