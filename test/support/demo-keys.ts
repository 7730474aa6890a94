import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';

/** The reference's demo actors (reference §12.1, Appendix A). */
export const ALICE_KEY = `0x${'11'.repeat(32)}` as const;
export const BOB_KEY = `0x${'22'.repeat(32)}` as const;
export const CAROL_KEY = `0x${'33'.repeat(32)}` as const;
export const ALICE = fromHex('0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a');
export const BOB = fromHex('0x1563915e194d8cfba1943570603f7606a3115508');
export const CAROL = fromHex('0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb');
export const ALPHA_USD = fromHex('0x20c0000000000000000000000000000000000001');
export const PATH_USD = fromHex('0x20c0000000000000000000000000000000000000');
export const DAVE = { name: 'Dave', id: repeatByte(0xd1, 32), seed: repeatByte(0x41, 32) };
export const EDGAR = { name: 'Edgar', id: repeatByte(0xe1, 32), seed: repeatByte(0x42, 32) };
