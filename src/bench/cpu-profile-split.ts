import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A V8 CPU profile as `node --cpu-prof` writes it (timestamps in µs of the monotonic clock). */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string };
    readonly children?: readonly number[];
  }[];
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Shares of the sampled CPU time by component, largest first; they add up to 1. */
export type CpuSplit = readonly { readonly component: string; readonly share: number }[];

/** Where a frame's time goes, by its function name or script URL; first match wins. */
const COMPONENTS: readonly [string, (name: string, url: string) => boolean][] = [
  ['GC', (name) => name === '(garbage collector)'],
  ['crypto', (_, url) => /secp256k1|ed25519|@noble|\/protocol\/crypto\/|node:internal\/crypto/.test(url)],
  ['protobuf', (_, url) => /@bufbuild|\/gen\/|\/wire\/convert-/.test(url)],
  ['grpc-js', (_, url) => url.includes('@grpc/grpc-js')],
  ['xstate', (_, url) => url.includes('xstate')],
  ['lmdb', (_, url) => /lmdb|msgpackr/.test(url)],
  ['logging', (_, url) => url.includes('pino')],
  ['our code', (_, url) => url.includes('/src/')],
  ['node core / HTTP/2', (_, url) => url.startsWith('node:')],
];

/**
 * Splits the samples of the main thread's profile in `dir` (node names it CPU.<date>.<time>.<pid>.0.<n>) taken
 * between `fromUs` and `toUs` (µs of the monotonic clock: process.hrtime's, and V8's profile timestamps') by
 * component: a sample counts for the component of the innermost
 * frame that has a script URL or is GC, so native calls count for the library that made them. Idle samples are
 * left out; anything unclassified (V8's own program time, other packages) is "other".
 */
export async function cpuProfileSplit(dir: string, fromUs: number, toUs: number): Promise<CpuSplit> {
  const main = (await readdir(dir)).find((n) => /\.\d+\.0\.\d+\.cpuprofile$/.test(n));
  if (!main) throw new Error(`no main-thread .cpuprofile in ${dir}`);
  const profile = JSON.parse(await readFile(join(dir, main), 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const componentOf = new Map<number, string | undefined>();
  const classify = (id: number): string | undefined => {
    if (componentOf.has(id)) return componentOf.get(id);
    const { functionName, url } = byId.get(id)!.callFrame;
    let component: string | undefined;
    if (functionName === '(idle)') component = undefined;
    else if (url === '' && functionName !== '(garbage collector)') {
      const up = parent.get(id);
      component = up === undefined || functionName === '(program)' ? 'other' : classify(up);
    } else component = COMPONENTS.find(([, test]) => test(functionName, url))?.[0] ?? 'other';
    componentOf.set(id, component);
    return component;
  };
  const totals = new Map<string, number>();
  let at = profile.startTime;
  let all = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    const component = classify(id);
    if (component === undefined) return;
    totals.set(component, (totals.get(component) ?? 0) + 1);
    all++;
  });
  return [...totals]
    .map(([component, count]) => ({ component, share: count / all }))
    .sort((a, b) => b.share - a.share);
}
