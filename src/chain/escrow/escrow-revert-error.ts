import { ChainError } from '../chain-port.ts';

/**
 * An escrow write the contract refused: `errorName` is the contract's custom error (e.g. `SeqUsed`,
 * `BelowThreshold`) when the call was simulated before sending, undefined when only the mined receipt said
 * "reverted". Code REJECTED like every other refusal of the chain layer.
 */
export class EscrowRevertError extends ChainError {
  constructor(
    readonly errorName: string | undefined,
    readonly errorArgs: readonly unknown[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super('REJECTED', message, options);
    this.name = 'EscrowRevertError';
  }
}
