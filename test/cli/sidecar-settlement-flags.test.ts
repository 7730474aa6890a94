import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { sidecarCommand, sidecarConfigFromFlags } from '../../src/cli/sidecar.command.ts';

const BASE = [
  ...['--name', 'Dave', '--seed', '41'.repeat(32), '--validator-id', 'd1'.repeat(32)],
  ...['--committee', 'committee.json'],
];
const config = (...flags: string[]) =>
  sidecarConfigFromFlags(parseCommandArgs(sidecarCommand, [...BASE, ...flags]).values);

describe('sidecar settlement flags', () => {
  it('defaults: 100,000 pending settlements, eviction after 5 refusals, 60 s cool-off, finality depth 2, default lanes, step-in after 2 blocks', () => {
    const c = config('--rpc-url', 'http://127.0.0.1:8545');
    expect(c.rpcUrl).toBe('http://127.0.0.1:8545');
    expect(c.wsUrl).toBeUndefined();
    expect(c.settlement).toEqual({
      maxPending: 100_000,
      evictAfterRefusals: 5,
      coolOffMs: 60_000,
      finalityDepth: 2,
      lane: 'default',
      forwardDelayBlocks: 2,
    });
  });

  it('takes --ws-url, --max-pending-settlements, --evict-after-refusals, --cool-off-ms, --finality-depth, --lane subblock and --forward-delay-blocks', () => {
    const c = config(
      '--rpc-url',
      'http://127.0.0.1:8545',
      '--ws-url',
      'ws://127.0.0.1:8545',
      '--max-pending-settlements',
      '10',
      '--evict-after-refusals',
      '2',
      '--cool-off-ms',
      '0',
      '--finality-depth',
      '0',
      '--lane',
      'subblock',
      '--forward-delay-blocks',
      '5',
    );
    expect(c.wsUrl).toBe('ws://127.0.0.1:8545');
    expect(c.settlement).toEqual({
      maxPending: 10,
      evictAfterRefusals: 2,
      coolOffMs: 0,
      finalityDepth: 0,
      lane: 'subblock',
      forwardDelayBlocks: 5,
    });
  });

  it('refuses an unknown lane, an empty queue, eviction at 0 refusals and --ws-url without --rpc-url', () => {
    expect(() => config('--lane', 'fast')).toThrow(/--lane must be one of default, subblock/);
    expect(() => config('--max-pending-settlements', '0')).toThrow(/at least 1/);
    expect(() => config('--evict-after-refusals', '0')).toThrow(/--evict-after-refusals must be at least 1/);
    expect(() => config('--ws-url', 'ws://127.0.0.1:8545')).toThrow(/--ws-url needs --rpc-url/);
  });

  it('takes --inspect ws://… for the settlement machines, only with --rpc-url and only as a WebSocket URL', () => {
    expect(config('--rpc-url', 'http://127.0.0.1:8545', '--inspect', 'ws://127.0.0.1:8081').inspect).toBe(
      'ws://127.0.0.1:8081',
    );
    expect(config('--rpc-url', 'http://127.0.0.1:8545').inspect).toBeUndefined();
    expect(() => config('--inspect', 'ws://127.0.0.1:8081')).toThrow(/--inspect needs --rpc-url/);
    expect(() => config('--rpc-url', 'http://127.0.0.1:8545', '--inspect', 'http://127.0.0.1:8081')).toThrow(
      /--inspect must be a URL \(ws:\/\/ or wss:\/\/\)/,
    );
  });
});
