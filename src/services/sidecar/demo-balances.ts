import { fromHex } from '../../protocol/bytes.ts';

/** Base units per dollar of a 6-decimal TIP-20 token. */
export const DOLLAR = 1_000_000n;

/**
 * The reference's demo balances (§6.5): Alice 15, Bob 5, Carol 5 dollars, as base units of `asset`. The addresses
 * are those of the demo private keys 0x11…, 0x22…, 0x33… (Appendix A).
 */
export function demoBalances(
  asset: Uint8Array,
  unit: bigint = DOLLAR,
): { account: Uint8Array; asset: Uint8Array; amount: bigint }[] {
  return [
    { account: fromHex('0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a'), asset, amount: 15n * unit },
    { account: fromHex('0x1563915e194d8cfba1943570603f7606a3115508'), asset, amount: 5n * unit },
    { account: fromHex('0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb'), asset, amount: 5n * unit },
  ];
}

/**
 * The reference sidecar's own `--demo-balances` exactly: 15, 5 and 5 base units (not dollars) of its demo asset
 * 0x20c0000000000000000000000aaaaaaaaaaaaaaaa, so reference clients' amounts fit as they do against it.
 */
export const REFERENCE_DEMO_ASSET = fromHex('0x20c000000000000000000000aaaaaaaaaaaaaaaa');
export function referenceDemoBalances(): { account: Uint8Array; asset: Uint8Array; amount: bigint }[] {
  return demoBalances(REFERENCE_DEMO_ASSET, 1n);
}
