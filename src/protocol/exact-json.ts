/** A JSON text that is not well-formed, with the offset where reading stopped. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

/** What `parseExactJson` yields: JSON values, with integers beyond ±(2^53 − 1) as bigint. */
export type ExactJson =
  | null
  | boolean
  | number
  | bigint
  | string
  | ExactJson[]
  | { [key: string]: ExactJson };

/**
 * Parses JSON text like `JSON.parse`, except that an integer literal outside the safe range becomes an exact
 * bigint instead of a rounded number: the reference writes u64 values as plain JSON numbers, and 2^64 − 1 must
 * survive reading (Node 20's `JSON.parse` has no access to the literal's source). Fractions and exponents stay
 * numbers. Throws JsonSyntaxError on malformed text.
 */
export function parseExactJson(text: string): ExactJson {
  const reader = new Reader(text);
  reader.space();
  const value = reader.value();
  reader.space();
  if (!reader.done()) reader.fail('unexpected text after the JSON value');
  return value;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
/** A JSON string: no raw control characters (U+0000–U+001F, built with RegExp so the source stays printable). */
const STRING = new RegExp(
  `"(?:[^"\\\\${String.fromCharCode(0)}-${String.fromCharCode(0x1f)}]|\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4}))*"`,
  'y',
);
const SPACE = /[ \t\n\r]*/y;

class Reader {
  private at = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at === this.text.length;
  }

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.at}`);
  }

  space(): void {
    this.match(SPACE);
  }

  value(): ExactJson {
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    return this.number();
  }

  private object(): { [key: string]: ExactJson } {
    const out: { [key: string]: ExactJson } = {};
    this.at++;
    this.space();
    if (this.eat('}')) return out;
    do {
      this.space();
      if (this.text[this.at] !== '"') this.fail('expected a key');
      const key = this.string();
      this.space();
      if (!this.eat(':')) this.fail('expected ":"');
      this.space();
      Object.defineProperty(out, key, {
        value: this.value(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.space();
    } while (this.eat(','));
    if (!this.eat('}')) this.fail('expected "," or "}"');
    return out;
  }

  private array(): ExactJson[] {
    const out: ExactJson[] = [];
    this.at++;
    this.space();
    if (this.eat(']')) return out;
    do {
      this.space();
      out.push(this.value());
      this.space();
    } while (this.eat(','));
    if (!this.eat(']')) this.fail('expected "," or "]"');
    return out;
  }

  private string(): string {
    const literal = this.match(STRING) ?? this.fail('malformed string');
    return JSON.parse(literal) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const m = NUMBER.exec(this.text) ?? this.fail('unexpected character');
    this.at = NUMBER.lastIndex;
    const value = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(value)) return BigInt(m[0]);
    return value;
  }

  private eat(char: string): boolean {
    if (this.text[this.at] !== char) return false;
    this.at++;
    return true;
  }

  private match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.at;
    const m = pattern.exec(this.text);
    if (!m) return undefined;
    this.at = pattern.lastIndex;
    return m[0];
  }
}
