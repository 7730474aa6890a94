import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('codegen-check', () => {
  it('finds the committed gen/ identical to a fresh offline buf generate of proto/', () => {
    const root = join(import.meta.dirname, '..', '..');
    const output = execFileSync('node', [join(root, 'scripts', 'codegen-check.mjs')], { encoding: 'utf8' });
    expect(output).toMatch(/gen\/ matches proto\/ \(3 files\)/);
  }, 120_000);
});
