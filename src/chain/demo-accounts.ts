import { fromHex, repeatByte } from '../protocol/bytes.ts';

/** A well-known demo actor (reference §6.5, §12.1) and the AlphaUSD the devnet gives it, in base units. */
export interface DemoAccount {
  readonly name: string;
  readonly privateKey: Uint8Array;
  readonly address: Uint8Array;
  readonly alphaUsd: bigint;
}

/** Alice 15, Bob 5, Carol 5 AlphaUSD: the reference's demo balances as 6-decimal TIP-20 amounts. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    name: 'Alice',
    privateKey: repeatByte(0x11, 32),
    address: fromHex('0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a', 20),
    alphaUsd: 15_000000n,
  },
  {
    name: 'Bob',
    privateKey: repeatByte(0x22, 32),
    address: fromHex('0x1563915e194d8cfba1943570603f7606a3115508', 20),
    alphaUsd: 5_000000n,
  },
  {
    name: 'Carol',
    privateKey: repeatByte(0x33, 32),
    address: fromHex('0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb', 20),
    alphaUsd: 5_000000n,
  },
];
