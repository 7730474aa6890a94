import type { OptionValues } from './command.ts';

/** An error the CLI explains in one line: what went wrong and what to do about it. */
export interface ErrorExplanation {
  readonly what: string;
  readonly hint: string;
}

type AnyError = Error & {
  code?: unknown;
  status?: unknown;
  path?: unknown;
  address?: unknown;
  port?: unknown;
  url?: unknown;
};

/**
 * Explains a runtime error of `allegro <command>` as what happened plus a hint, from its class name, code and
 * message (no layer's error class is imported, so the CLI stays light to load). `values` are the command's
 * flags: the hint names the flag that chose a busy port or an unreachable URL.
 */
export function describeError(error: unknown, values: OptionValues = {}): ErrorExplanation {
  if (!(error instanceof Error)) return { what: String(error), hint: DEBUG_HINT };
  const err = error as AnyError;
  const busy = busyAddress(err);
  if (busy) {
    const flag = flagHolding(values, (v) => v === busy.port || v.endsWith(`:${busy.port}`)) ?? 'listen';
    return { what: `port ${busy.host}:${busy.port} is in use`, hint: `pick another with --${flag}` };
  }
  if (err.name === 'PaymentRejectedError') {
    return {
      what: firstLine(err.message),
      hint: 'the sidecars refused it; run again on standalone sidecars, the demo finds its funds spent: restart them',
    };
  }
  if (err.name === 'StoreError' && err.code === 'STORE_LOCKED') {
    return { what: err.message, hint: 'stop the process holding it, or pick another --store' };
  }
  if (err.name === 'ChainError' && err.code === 'UNAVAILABLE') {
    const url = stringOf(values['rpc-url']) ?? causeUrl(err) ?? 'the --rpc-url';
    return {
      what: `cannot reach Tempo node at ${url}`,
      hint: 'is it running? start one with `allegro devnet`',
    };
  }
  const refused = /ECONNREFUSED (\S+?):(\d+)/.exec(err.message);
  if (refused) {
    const flag = flagHolding(values, (v) => v.endsWith(`:${refused[2]}`));
    const where = flag ? `check --${flag}` : 'check its address';
    return { what: `cannot connect to ${refused[1]}:${refused[2]}`, hint: `is it running? ${where}` };
  }
  if (err.name === 'ChainError' && err.code === 'BINARY_MISSING') {
    return { what: err.message, hint: 'run `npm install` in the Allegro checkout' };
  }
  if (err.name === 'TransportError' && (err.status === 'UNAVAILABLE' || err.status === 'DEADLINE_EXCEEDED')) {
    return {
      what: `cannot reach a sidecar: ${firstLine(err.message)}`,
      hint: 'is it running? check its URL',
    };
  }
  if (err.name === 'ServiceError' && err.code === 'PEERS_UNREACHABLE') {
    return { what: err.message, hint: 'start the peers first, or pass --committee FILE' };
  }
  if (err.name === 'ServiceError' && err.code === 'KEY_CHANGED') {
    return { what: err.message, hint: 'a peer changed its key: check the committee before restarting' };
  }
  if (err.name === 'ServiceError' || err.name === 'StoreError') {
    return { what: firstLine(err.message), hint: 'check the configuration it names' };
  }
  if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'EISDIR') {
    const path = stringOf(err.path) ?? 'a file';
    const why =
      err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : 'a directory';
    return { what: `cannot read ${path} (${why})`, hint: 'check the path given on the command line' };
  }
  return { what: firstLine(err.message) || err.name, hint: DEBUG_HINT };
}

const DEBUG_HINT = 'run with ALLEGRO_DEBUG=1 for the stack trace';

/** The address of an EADDRINUSE failure, from the error itself or from a message that wraps it (gRPC). */
function busyAddress(err: AnyError): { host: string; port: string } | undefined {
  for (let e: AnyError | undefined = err; e; e = e.cause as AnyError | undefined) {
    if (e.code === 'EADDRINUSE' && e.port !== undefined)
      return { host: String(e.address), port: String(e.port) };
    if (e.name === 'ChainError' && e.code === 'PORT_IN_USE') {
      const m = /port (\d+) on (\S+)/.exec(e.message);
      if (m) return { host: m[2]!, port: m[1]! };
    }
    const m = /EADDRINUSE[^\n]*?(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]|[\w.-]+):(\d+)/i.exec(
      e.message ?? '',
    );
    if (m) return { host: m[1]!, port: m[2]! };
    if (!(e.cause instanceof Error)) break;
  }
  return undefined;
}

function flagHolding(values: OptionValues, test: (value: string) => boolean): string | undefined {
  return Object.entries(values).find(([, v]) => typeof v === 'string' && test(v))?.[0];
}

function causeUrl(err: AnyError): string | undefined {
  for (let e: AnyError | undefined = err; e; e = e.cause as AnyError | undefined) {
    const url = stringOf(e.url);
    if (url) return url;
    if (!(e.cause instanceof Error)) break;
  }
  return undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
