import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** This process's resident memory split by kind, in MiB (Linux /proc; undefined fields elsewhere). */
export interface MemorySplit {
  /** VmRSS: everything resident. */
  readonly rssMb: number;
  /** RssAnon: heap, stacks, malloc'd buffers: what the process itself holds. */
  readonly anonMb?: number;
  /** RssFile: pages of mapped files, which the kernel may drop and read again (clean page cache). */
  readonly fileMb?: number;
  /** The part of RssFile mapped from the files of `mappedDir` (the store's data file). */
  readonly mappedMb?: number;
}

/**
 * Resident memory of this process, split into anonymous and file-backed pages, with the pages mapped from files
 * in `mappedDir` (e.g. LMDB's data.mdb) counted apart from /proc/self/smaps.
 */
export function memorySplit(mappedDir?: string): MemorySplit {
  const rssMb = process.memoryUsage().rss / 2 ** 20;
  const status = readProc('/proc/self/status');
  if (status === undefined) return { rssMb };
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return {
    rssMb,
    anonMb: kib('RssAnon') / 1024,
    fileMb: kib('RssFile') / 1024,
    ...(mappedDir === undefined ? {} : { mappedMb: mappedRssKib(mappedDir) / 1024 }),
  };
}

/** Bytes allocated on disk by the files of a directory. */
export function diskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).blocks * 512;
  return total;
}

/** Sum of `Rss:` of the mappings in /proc/self/smaps whose file lies in `dir`. */
function mappedRssKib(dir: string): number {
  const smaps = readProc('/proc/self/smaps') ?? '';
  let inDir = false;
  let total = 0;
  for (const line of smaps.split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) inDir = header[1]!.startsWith(`${dir}/`);
    else if (inDir && line.startsWith('Rss:')) total += Number(/(\d+) kB/.exec(line)?.[1] ?? 0);
  }
  return total;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
