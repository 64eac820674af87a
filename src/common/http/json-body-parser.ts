import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { mapInSlices } from '../async/time-slice';
import { AppException, ErrorCode } from '../errors/app-exception';

/**
 * Deepest nesting of arrays and objects a JSON body may have. Records are a few levels deep; thousands of levels
 * only exhaust the stack of the recursive code after parsing (class-transformer, JSON.stringify) and became 500s.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Most members one JSON object or array of a body may hold, unless an endpoint takes more (PUSH_MAX_ITEMS). A wide
 * object costs far more than its bytes: every walk of 150k keys (validation, prototype stripping) took 0.3–0.6 s, so
 * oversize maps (known_versions, records) are refused here, before anything parses or walks them.
 */
export const MAX_JSON_MEMBERS = 10_000;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DOT = 0x2e;
const LOWER_E = 0x65;
const UPPER_E = 0x45;
const PLUS = 0x2b;

/** Integer literals of fewer digits are always exact doubles; longer ones are compared exactly. */
const SAFE_DIGITS = 15;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export type JsonBodyProblem =
  | { kind: 'too_deep' }
  | { kind: 'too_many_members'; field: string }
  /** `field` in the error-detail notation (`items[0].data.n`), `literal` as written. */
  | { kind: 'unsafe_integer'; field: string; literal: string };

interface Frame {
  array: boolean;
  /** Index of the current member (arrays: of the current item). */
  index: number;
  /** Objects: the next string is a key; its byte range once read. */
  expectKey: boolean;
  keyStart: number;
  keyEnd: number;
}

function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9;
}

function isNumberPart(byte: number): boolean {
  return isDigit(byte) || byte === DOT || byte === LOWER_E || byte === UPPER_E || byte === PLUS || byte === MINUS;
}

function fieldOf(body: Buffer, frames: Frame[]): string {
  let field = '';
  for (const frame of frames) {
    if (frame.array) {
      field += `[${frame.index}]`;
      continue;
    }
    let key: string;
    try {
      key = JSON.parse(body.toString('utf8', frame.keyStart - 1, frame.keyEnd + 1)) as string;
    } catch {
      key = body.toString('utf8', frame.keyStart, frame.keyEnd);
    }
    field += field === '' ? key : `.${key}`;
  }
  return field || '(body)';
}

/**
 * The index of the quote that closes a string starting at `start` (the body's length if none): the next quote not
 * escaped by an odd run of backslashes. Found with Buffer#indexOf (native), so long strings cost almost nothing: a
 * byte-by-byte walk over a 10 MiB body of 10 KB strings blocked the event loop for 60–190 ms.
 */
function closingQuote(body: Buffer, start: number): number {
  let quote = body.indexOf(QUOTE, start);
  while (quote >= 0) {
    let backslashes = 0;
    for (let k = quote - 1; k >= start && body[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    quote = body.indexOf(QUOTE, quote + 1);
  }
  return body.length;
}

/**
 * One pass over the UTF-8 bytes of a JSON text (bytes of multi-byte characters never equal an ASCII bracket, quote
 * or digit), before it is parsed: nesting deeper than `maxDepth`, an object or array of more than `maxMembers`
 * members, and integer literals beyond ±(2^53 − 1), which
 * JSON.parse would silently round (9007199254740993 → 9007199254740992). Literals with a fraction or an exponent
 * are floating-point by their form and left to the parser, as is malformed text.
 */
export function scanJsonBody(
  body: Buffer,
  maxDepth: number,
  maxMembers = Number.MAX_SAFE_INTEGER,
  topArrays?: TopLevelArray[],
): JsonBodyProblem | null {
  const frames: Frame[] = [];
  /** The array member of the top-level object being read, when `topArrays` collects them. */
  let open: TopLevelArray | null = null;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (byte === QUOTE) {
      const start = index + 1;
      index = closingQuote(body, start);
      const top = frames[frames.length - 1];
      if (top && !top.array && top.expectKey) {
        top.keyStart = start;
        top.keyEnd = index;
        top.expectKey = false;
      }
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (frames.length >= maxDepth) return { kind: 'too_deep' };
      if (topArrays && byte === OPEN_ARRAY && frames.length === 1 && !frames[0].array) {
        open = { keyStart: frames[0].keyStart, keyEnd: frames[0].keyEnd, open: index, close: -1, commas: [] };
        topArrays.push(open);
      }
      frames.push({ array: byte === OPEN_ARRAY, index: 0, expectKey: byte === OPEN_OBJECT, keyStart: 0, keyEnd: 0 });
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      if (open && frames.length === 2) {
        open.close = index;
        open = null;
      }
      frames.pop();
    } else if (byte === COMMA) {
      const top = frames[frames.length - 1];
      if (!top) continue;
      if (open && frames.length === 2) open.commas.push(index);
      if (++top.index >= maxMembers) return { kind: 'too_many_members', field: fieldOf(body, frames.slice(0, -1)) };
      if (!top.array) top.expectKey = true;
    } else if (byte === COLON) {
      const top = frames[frames.length - 1];
      if (top) top.expectKey = false;
    } else if (byte === MINUS || isDigit(byte)) {
      const start = index;
      if (byte === MINUS) index++;
      const digitsStart = index;
      while (index < body.length && isDigit(body[index])) index++;
      const digits = index - digitsStart;
      const next = body[index];
      if (next === DOT || next === LOWER_E || next === UPPER_E) {
        while (index < body.length && isNumberPart(body[index])) index++;
      } else if (digits > SAFE_DIGITS) {
        const literal = body.toString('latin1', start, index);
        const value = BigInt(literal);
        if (value > MAX_SAFE || value < -MAX_SAFE)
          return { kind: 'unsafe_integer', field: fieldOf(body, frames), literal };
      }
      index--;
    }
  }
  return null;
}

/** An array member of the top-level object: its key's byte range, its brackets and the commas between its items. */
export interface TopLevelArray {
  keyStart: number;
  keyEnd: number;
  open: number;
  /** -1 when the text ends before the array does. */
  close: number;
  commas: number[];
}

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Bodies from this size on are scanned, parsed (in slices, see parseInSlices) and handed on in separate turns of the
 * event loop: at the 9.8 MiB limit the scan takes 10–150 ms and JSON.parse 20 ms (10 KB strings) to 1 s (1,000
 * records of 900 fields), and the handler's own work follows.
 */
export const LARGE_BODY_BYTES = 1024 * 1024;

/** Fastify's own JSON parser (prototype poisoning rejected), behind the nesting limit and the safe-integer rule. */
export function createJsonBodyParser(
  fastify: FastifyInstance,
  maxDepth = MAX_JSON_DEPTH,
  maxMembers = MAX_JSON_MEMBERS,
): (request: FastifyRequest, body: Buffer, done: Done) => void {
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error') as (
    request: FastifyRequest,
    body: string,
    done: Done,
  ) => void;
  return (request, body, done) => {
    const topArrays = body.length >= LARGE_BODY_BYTES ? [] : undefined;
    const problem = scanJsonBody(body, maxDepth, maxMembers, topArrays);
    if (problem?.kind === 'too_deep') {
      done(
        AppException.validation(`Request body is nested deeper than ${maxDepth} levels`, [
          { field: '(body)', message: `at most ${maxDepth} levels of arrays and objects` },
        ]),
      );
      return;
    }
    if (problem?.kind === 'too_many_members') {
      done(
        AppException.validation(`${problem.field} holds more than ${maxMembers} members`, [
          { field: problem.field, message: `at most ${maxMembers} members in one object or array` },
        ]),
      );
      return;
    }
    if (problem?.kind === 'unsafe_integer') {
      const shown = problem.literal.length > 40 ? `${problem.literal.slice(0, 40)}…` : problem.literal;
      done(
        new AppException(ErrorCode.UnsafeInteger, `${problem.field} holds ${shown}, beyond ±(2^53 − 1)`, [
          { field: problem.field, message: 'integers must be within ±9007199254740991 (send larger ones as strings)' },
        ]),
      );
      return;
    }
    if (!topArrays) {
      parse(request, body.toString('utf8'), done);
      return;
    }
    const parseText = (text: string): unknown => {
      const outcome: { error: Error | null; value?: unknown } = { error: null };
      parse(request, text, (error, value) => Object.assign(outcome, { error, value }));
      if (outcome.error) throw outcome.error;
      return outcome.value;
    };
    setImmediate(() => {
      parseInSlices(body, topArrays, parseText).then(
        (parsed) => setImmediate(() => done(null, parsed)),
        (error: Error) => done(error),
      );
    });
  };
}

/**
 * A large body parsed in slices of the event loop: its largest top-level array (a push's `items`) item by item, the
 * rest with a placeholder in the array's place; the same value, and the same checks (prototype poisoning), as one
 * JSON.parse of the text, which held the loop for 0.3–1 s on 1,000 records of 900 fields. Anything unusual (no such
 * array, a repeated key) is parsed in one piece.
 */
async function parseInSlices(
  body: Buffer,
  arrays: readonly TopLevelArray[],
  parseText: (text: string) => unknown,
): Promise<unknown> {
  const whole = (): unknown => parseText(body.toString('utf8'));
  const largest = arrays
    .filter((array) => array.close > array.open && array.commas.length > 0)
    .reduce<TopLevelArray | null>(
      (best, array) => (!best || array.close - array.open > best.close - best.open ? array : best),
      null,
    );
  if (!largest) return whole();
  const placeholder = `split:${randomUUID()}`;
  try {
    const rest = parseText(
      `${body.toString('utf8', 0, largest.open)}"${placeholder}"${body.toString('utf8', largest.close + 1)}`,
    ) as Record<string, unknown>;
    const key = JSON.parse(body.toString('utf8', largest.keyStart - 1, largest.keyEnd + 1)) as string;
    if (rest === null || typeof rest !== 'object' || rest[key] !== placeholder) return whole();
    const bounds = [largest.open, ...largest.commas, largest.close];
    rest[key] = await mapInSlices(bounds.slice(1), (end, index) =>
      parseText(body.toString('utf8', bounds[index] + 1, end)),
    );
    return rest;
  } catch {
    // Malformed text: the error of the whole text, as without slices.
    return whole();
  }
}
