import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/describe-error.ts';

const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe('describeError', () => {
  it('names the flag whose port is busy, from a Node listen error', () => {
    const err = Object.assign(new Error('listen EADDRINUSE'), {
      code: 'EADDRINUSE',
      address: '127.0.0.1',
      port: 8080,
    });
    expect(describeError(err, { listen: '127.0.0.1:60051', 'http-listen': '127.0.0.1:8080' })).toEqual({
      what: 'port 127.0.0.1:8080 is in use',
      hint: 'pick another with --http-listen',
    });
  });

  it('finds a busy port inside a wrapped gRPC bind message', () => {
    const err = new Error(
      'No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:50051]',
    );
    expect(describeError(err, { listen: '127.0.0.1:50051' }).what).toBe('port 127.0.0.1:50051 is in use');
  });

  it('names --port when anvil could not take the port devnet was given', () => {
    const err = named('ChainError', 'port 8545 on 127.0.0.1 is already in use', { code: 'PORT_IN_USE' });
    expect(describeError(err, { port: '8545', 'block-time': '5' })).toEqual({
      what: 'port 127.0.0.1:8545 is in use',
      hint: 'pick another with --port',
    });
  });

  it('says which sidecar could not be reached and which flag named it', () => {
    const err = new Error(
      'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:47051.',
    );
    expect(describeError(err, { 'dave-url': 'http://127.0.0.1:47051' })).toEqual({
      what: 'cannot connect to 127.0.0.1:47051',
      hint: 'is it running? check --dave-url',
    });
  });

  it('an unavailable chain names the --rpc-url and how to start a node', () => {
    const err = named('ChainError', 'HTTP request failed.: fetch failed', { code: 'UNAVAILABLE' });
    expect(describeError(err, { 'rpc-url': 'http://127.0.0.1:9' })).toEqual({
      what: 'cannot reach Tempo node at http://127.0.0.1:9',
      hint: 'is it running? start one with `allegro devnet`',
    });
  });

  it('a missing file names the path', () => {
    const err = Object.assign(new Error('ENOENT: no such file'), {
      code: 'ENOENT',
      path: '/x/committee.json',
    });
    expect(describeError(err).what).toBe('cannot read /x/committee.json (no such file)');
  });

  it('anything else keeps its first line and points at ALLEGRO_DEBUG', () => {
    expect(describeError(new Error('boom\n  at somewhere'))).toEqual({
      what: 'boom',
      hint: 'run with ALLEGRO_DEBUG=1 for the stack trace',
    });
  });
});
