import { type GraphQLScalarTypeConfig, Kind, type ValueNode } from 'graphql';
import { type ApiErrorCode, apiError } from './api-error.ts';

/** Longest Hex input: a 128 KiB signed transaction (the sidecar's limit) with its 0x. */
export const MAX_HEX_CHARS = 2 + 2 * 128 * 1024;
const U64_MAX = (1n << 64n) - 1n;

/** The text of a string literal (or an int literal when `allowInt`). */
function literal(ast: ValueNode, code: ApiErrorCode, name: string, allowInt = false): string {
  if (ast.kind === Kind.STRING || (allowInt && ast.kind === Kind.INT)) return ast.value;
  throw apiError(code, `${name} must be a string`);
}

/**
 * The behaviour of a custom scalar; its name and description stay those of schema.graphql (graphql-tools copies
 * these fields onto the type it builds from the file).
 */
type ScalarBehaviour<Internal, External> = Pick<
  GraphQLScalarTypeConfig<Internal, External>,
  'serialize' | 'parseValue' | 'parseLiteral'
>;

/** 0x-prefixed hex of whole bytes, any case in, lowercase out; at most MAX_HEX_CHARS. */
export const hexScalar: ScalarBehaviour<string, string> = {
  serialize: (value) => String(value),
  parseValue: (value) => parseHex(value),
  parseLiteral: (ast) => parseHex(literal(ast, 'INVALID_HEX', 'Hex')),
};

/** A 20-byte address as 0x hex, lowercase out. */
export const addressScalar: ScalarBehaviour<string, string> = {
  serialize: (value) => String(value),
  parseValue: (value) => parseAddress(value),
  parseLiteral: (ast) => parseAddress(literal(ast, 'INVALID_ADDRESS', 'Address')),
};

/** A u64 as a decimal string on the wire, a bigint inside resolvers. */
export const bigIntScalar: ScalarBehaviour<bigint, string> = {
  serialize: (value) => {
    if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string') {
      return BigInt(value).toString();
    }
    throw apiError('INVALID_BIGINT', `cannot serialize ${typeof value} as BigInt`);
  },
  parseValue: (value) => parseU64(value),
  parseLiteral: (ast) => parseU64(literal(ast, 'INVALID_BIGINT', 'BigInt', true)),
};

function parseHex(value: unknown): string {
  if (typeof value !== 'string') throw apiError('INVALID_HEX', 'Hex must be a string');
  if (value.length > MAX_HEX_CHARS) {
    throw apiError('INPUT_TOO_LARGE', `Hex longer than ${MAX_HEX_CHARS} characters`);
  }
  if (!/^0x([0-9a-fA-F]{2})*$/.test(value)) {
    throw apiError('INVALID_HEX', `"${value.slice(0, 24)}" is not 0x-prefixed hex of whole bytes`);
  }
  return value.toLowerCase();
}

function parseAddress(value: unknown): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw apiError('INVALID_ADDRESS', `${JSON.stringify(value)?.slice(0, 48)} is not a 20-byte 0x address`);
  }
  return value.toLowerCase();
}

function parseU64(value: unknown): bigint {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(text) || BigInt(text) > U64_MAX) {
    throw apiError('INVALID_BIGINT', `${JSON.stringify(value)?.slice(0, 32)} is not a u64 decimal string`);
  }
  return BigInt(text);
}
