import { AppException } from '../errors/app-exception';

/**
 * Opaque keyset cursors: `prefix` then the key parts joined by ":", base64url-encoded. Each part must match its
 * pattern; the last part takes the rest of the string (device ids may hold ":"). Anything else is a 400.
 */
export class CursorCodec {
  constructor(
    private readonly prefix: string,
    private readonly parts: readonly RegExp[],
  ) {}

  encode(values: readonly string[]): string {
    return Buffer.from(`${this.prefix}${values.join(':')}`, 'utf8').toString('base64url');
  }

  decode(cursor: string): string[] {
    const values = this.tryDecode(cursor);
    if (values === null) {
      throw AppException.validation('cursor is not a cursor this server issued', [
        { field: 'cursor', message: 'invalid cursor' },
      ]);
    }
    return values;
  }

  /** The parts, or null when the cursor is not one of this codec (so an older format can be tried). */
  tryDecode(cursor: string): string[] | null {
    const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
    const values = decoded.startsWith(this.prefix)
      ? splitParts(decoded.slice(this.prefix.length), this.parts.length)
      : [];
    if (values.length !== this.parts.length || !values.every((value, i) => this.parts[i].test(value))) return null;
    return values;
  }
}

function splitParts(text: string, count: number): string[] {
  const values: string[] = [];
  let rest = text;
  for (let i = 1; i < count; i++) {
    const at = rest.indexOf(':');
    if (at < 0) return [];
    values.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  values.push(rest);
  return values;
}
