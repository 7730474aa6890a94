import { describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { sidecarCommand, sidecarConfigFromFlags } from '../../src/cli/sidecar.command.ts';

const BASE = ['--name', 'Dave', '--seed', '41'.repeat(32), '--validator-id', 'd1'.repeat(32)];
const config = (...flags: string[]) =>
  sidecarConfigFromFlags(parseCommandArgs(sidecarCommand, [...BASE, ...flags]).values);

describe('sidecar settlement flags', () => {
  it('defaults: 4096 pending settlements, finality depth 2, default lanes, step-in after 2 blocks', () => {
    const c = config('--rpc-url', 'http://127.0.0.1:8545');
    expect(c.rpcUrl).toBe('http://127.0.0.1:8545');
    expect(c.wsUrl).toBeUndefined();
    expect(c.settlement).toEqual({
      maxPending: 4096,
      finalityDepth: 2,
      lane: 'default',
      forwardDelayBlocks: 2,
    });
  });

  it('takes --ws-url, --max-pending-settlements, --finality-depth, --lane subblock and --forward-delay-blocks', () => {
    const c = config(
      '--rpc-url',
      'http://127.0.0.1:8545',
      '--ws-url',
      'ws://127.0.0.1:8545',
      '--max-pending-settlements',
      '10',
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
      finalityDepth: 0,
      lane: 'subblock',
      forwardDelayBlocks: 5,
    });
  });

  it('refuses an unknown lane, an empty queue and --ws-url without --rpc-url', () => {
    expect(() => config('--lane', 'fast')).toThrow(/--lane must be one of default, subblock/);
    expect(() => config('--max-pending-settlements', '0')).toThrow(/at least 1/);
    expect(() => config('--ws-url', 'ws://127.0.0.1:8545')).toThrow(/--ws-url needs --rpc-url/);
  });
});
