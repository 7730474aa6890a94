import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The `keccak` package's native sponge (its N-API class), used without the package's stream wrapper. */
interface KeccakSponge {
  initialize(rate: number, capacity: number): void;
  absorb(data: Uint8Array): void;
  absorbLastFewBits(bits: number): void;
  squeeze(length: number): Uint8Array;
}

/**
 * Keccak-256 through the `keccak` package's native binding (node:crypto has SHA3-256 but not Keccak-256), about
 * three times @noble/hashes on a signed payment; undefined when the binding does not load, so the caller keeps the
 * JS implementation. One sponge is reused: each call runs to completion synchronously.
 */
export function loadNativeKeccak256(): ((data: Uint8Array) => Uint8Array) | undefined {
  try {
    const require = createRequire(import.meta.url);
    const Sponge = require('node-gyp-build')(
      dirname(require.resolve('keccak/package.json')),
    ) as new () => KeccakSponge;
    const sponge = new Sponge();
    return (data) => {
      sponge.initialize(1088, 512);
      sponge.absorb(data);
      sponge.absorbLastFewBits(0x01);
      return new Uint8Array(sponge.squeeze(32));
    };
  } catch {
    return undefined;
  }
}
