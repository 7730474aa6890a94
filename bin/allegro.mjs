#!/usr/bin/env node
// Entry point for `allegro`: runs the compiled CLI in dist/ (`npm run build`) when no source is newer than the
// build, else the TypeScript sources through tsx's loader (development: every edit runs at once).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = ['src', 'gen', 'tsconfig.json', 'tsconfig.build.json'];

/** Newest modification time of a file or of every file below a directory. */
function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function compiledIsCurrent() {
  const built = statSync(join(root, 'dist/BUILT'), { throwIfNoEntry: false });
  return built !== undefined && SOURCES.every((source) => newest(join(root, source)) <= built.mtimeMs);
}

let main;
if (compiledIsCurrent()) {
  ({ main } = await import('../dist/src/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
