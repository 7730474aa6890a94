import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above `dir` that holds a package.json. */
function packageDirOf(dir: string): string {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'package.json'))) return at;
    if (dirname(at) === at) throw new Error(`no package.json above ${dir}`);
  }
}

/**
 * A path inside the Allegro checkout, e.g. `projectPath('schema.graphql')`. Found from this module's own place,
 * so it is the same whether the sources run through tsx (src/…) or compiled (dist/src/…).
 */
export function projectPath(...segments: string[]): string {
  return join(PROJECT_ROOT, ...segments);
}

const PROJECT_ROOT = packageDirOf(dirname(fileURLToPath(import.meta.url)));
