import type { FastifyInstance, FastifyRequest } from 'fastify';
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
): JsonBodyProblem | null {
  const frames: Frame[] = [];
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
      frames.push({ array: byte === OPEN_ARRAY, index: 0, expectKey: byte === OPEN_OBJECT, keyStart: 0, keyEnd: 0 });
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      frames.pop();
    } else if (byte === COMMA) {
      const top = frames[frames.length - 1];
      if (!top) continue;
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

type Done = (error: Error | null, body?: unknown) => void;

/**
 * Bodies from this size on are scanned, parsed and handed on in separate turns of the event loop: for a body at the
 * 9.8 MiB limit the scan takes 10–30 ms and JSON.parse 20–50 ms, and the handler's own work follows.
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
    const problem = scanJsonBody(body, maxDepth, maxMembers);
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
    if (body.length < LARGE_BODY_BYTES) {
      parse(request, body.toString('utf8'), done);
      return;
    }
    setImmediate(() =>
      parse(request, body.toString('utf8'), (error, parsed) => setImmediate(() => done(error, parsed))),
    );
  };
}
