import { describe, expect, it } from 'vitest';
import {
  apiStageToWire,
  isTerminalStage,
  TERMINAL_STAGES,
  WireStage,
  wireStageToApi,
} from '../../src/protocol/stage.ts';

describe('payment stages', () => {
  it('maps every API stage to its wire value and back', () => {
    for (const wire of Object.values(WireStage).filter((v) => typeof v === 'number')) {
      const api = wireStageToApi(wire);
      if (wire === WireStage.UNSPECIFIED) expect(api).toBeUndefined();
      else expect(apiStageToWire(api!)).toBe(wire);
    }
  });

  it('has one terminal set: FINALIZED, REJECTED, EXPIRED and FAILED end a payment, on the wire too', () => {
    expect([...TERMINAL_STAGES].sort()).toEqual(['EXPIRED', 'FAILED', 'FINALIZED', 'REJECTED']);
    const terminal = Object.values(WireStage)
      .filter((v): v is WireStage => typeof v === 'number')
      .filter(isTerminalStage)
      .map((v) => WireStage[v]);
    expect(terminal.sort()).toEqual(['EXPIRED', 'FAILED', 'FINALIZED', 'REJECTED']);
  });
});
