import { fromHex } from '../protocol/bytes.ts';

/** pathUSD, Tempo's base stablecoin and the devnet's fee token (TIP-20 precompile, 6 decimals). */
export const PATH_USD = fromHex('0x20c0000000000000000000000000000000000000', 20);

/** AlphaUSD, the demo payment asset (TIP-20 precompile on `anvil --network tempo` and testnets, 6 decimals). */
export const ALPHA_USD = fromHex('0x20c0000000000000000000000000000000000001', 20);

/** Decimals of every TIP-20 stablecoin: one base unit is one microdollar. */
export const TIP20_DECIMALS = 6;
