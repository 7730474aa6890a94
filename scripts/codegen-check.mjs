// Regenerates the protobuf code into a temporary directory with the pinned local buf + protoc-gen-es
// (works offline) and exits 1 when the result differs from the committed gen/ directory; likewise recompiles
// the escrow contract (scripts/compile-contracts.mjs) and compares it with its committed artifact.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'node_modules', '.bin');
const committed = join(root, 'gen');

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

function sameFile(a, b) {
  return existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));
}

const scratch = mkdtempSync(join(tmpdir(), 'allegro-codegen-'));
try {
  execFileSync(join(bin, 'buf'), ['generate', '--output', scratch], {
    cwd: root,
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const fresh = join(scratch, 'gen');
  const names = [...new Set([...listFiles(committed), ...listFiles(fresh)])].sort();
  const stale = names.filter((name) => !sameFile(join(committed, name), join(fresh, name)));
  if (stale.length > 0) {
    console.error('codegen-check: gen/ is out of date with proto/; run `npm run codegen` and commit gen/:');
    for (const name of stale) console.error(`  gen/${name}`);
    process.exitCode = 1;
  } else {
    console.log(`codegen-check: gen/ matches proto/ (${names.length} files)`);
  }
  const artifact = join('src', 'chain', 'escrow', 'allegro-escrow-artifact.ts');
  const compiled = join(scratch, 'allegro-escrow-artifact.ts');
  execFileSync(process.execPath, [join(root, 'scripts', 'compile-contracts.mjs'), compiled], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!sameFile(join(root, artifact), compiled)) {
    console.error(
      `codegen-check: ${artifact} is out of date; run \`npm run codegen:contracts\` and commit it`,
    );
    process.exitCode = 1;
  } else {
    console.log(`codegen-check: ${artifact} matches contracts/`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
