import { readFile } from 'node:fs/promises';
import { fromHex } from '../protocol/bytes.ts';
import { UsageError } from './command.ts';

/**
 * Reads a standalone balances file: a JSON array of `{ "account": "0x…20 bytes", "asset": "0x…20 bytes",
 * "amount": "<decimal base units>" }`. Errors name the file and the entry.
 */
export async function readBalancesFile(
  path: string,
): Promise<{ account: Uint8Array; asset: Uint8Array; amount: bigint }[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`--balances ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new UsageError(`--balances ${path}: expected a JSON array`);
  return parsed.map((entry, i) => {
    try {
      const { account, asset, amount } = entry as Record<string, unknown>;
      if (typeof amount !== 'string' || !/^\d+$/.test(amount))
        throw new Error('amount must be a decimal string');
      return {
        account: fromHex(String(account), 20),
        asset: fromHex(String(asset), 20),
        amount: BigInt(amount),
      };
    } catch (err) {
      throw new UsageError(`--balances ${path}: entry ${i}: ${(err as Error).message}`);
    }
  });
}
