import { describe, expect, it } from 'vitest';
import { prettyLogLine } from '../../src/util/pretty-log-line.ts';

describe('prettyLogLine', () => {
  it('shows time of day, level, component and message, then the other fields as key=value', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-12-03T12:17:50.638Z',
      component: 'sidecar:Dave',
      members: 1,
      peer: '127.0.0.1:50052',
      detail: { a: 1 },
      msg: 'small committee',
    });
    expect(prettyLogLine(line)).toBe(
      '12:17:50.638 WARN  sidecar:Dave  small committee members=1 peer=127.0.0.1:50052 detail={"a":1}',
    );
  });

  it('leaves a line that is not a JSON object as it is', () => {
    expect(prettyLogLine('plain text')).toBe('plain text');
    expect(prettyLogLine('42')).toBe('42');
  });
});
