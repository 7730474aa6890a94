import {
  DEFAULT_LANDABILITY,
  DEFAULT_RULES,
  type DecisionRules,
} from '../../protocol/validation/decision-rules.ts';
import type { SidecarConfig } from './sidecar-config.ts';

/** The certification rules of a sidecar: defaults, its flags, and landability only when it follows a chain. */
export function decisionRules(config: Pick<SidecarConfig, 'rules'>, followsChain: boolean): DecisionRules {
  const r = config.rules ?? {};
  return {
    maxExpiryMs: r.maxExpiryMs ?? DEFAULT_RULES.maxExpiryMs,
    maxExpiryBlocks: DEFAULT_RULES.maxExpiryBlocks,
    maxPendingPerSender: r.maxPendingPerSender ?? DEFAULT_RULES.maxPendingPerSender,
    maxPendingPerLane: r.maxPendingPerLane ?? DEFAULT_RULES.maxPendingPerLane,
    ...(followsChain
      ? {
          landability: {
            ...DEFAULT_LANDABILITY,
            ...(r.settlementMarginMs !== undefined ? { settlementMarginMs: r.settlementMarginMs } : {}),
            ...(r.feeCapPercentOfBaseFee !== undefined
              ? { feeCapPercentOfBaseFee: r.feeCapPercentOfBaseFee }
              : {}),
            ...(r.transferGas !== undefined ? { transferGas: r.transferGas } : {}),
            ...(r.newNonceKeyGas !== undefined ? { newNonceKeyGas: r.newNonceKeyGas } : {}),
          },
        }
      : {}),
  };
}
