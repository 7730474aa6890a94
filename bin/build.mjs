#!/usr/bin/env node
// `npm run build`: compiles src/ and gen/ to dist/ with tsc (tsconfig.build.json), then stamps dist/BUILT with
// the time the build started, so bin/allegro.mjs runs dist/ only while no source is newer than that.
import { spawnSync } from 'node:child_process';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = new Date();
const tsc = join(root, 'node_modules/.bin/tsc');
const result = spawnSync(tsc, ['-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (result.status !== 0) {
  console.error('build: tsc failed; allegro keeps running the TypeScript sources');
  process.exit(result.status ?? 1);
}
const stamp = join(root, 'dist/BUILT');
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);
