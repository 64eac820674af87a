import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppException } from '../errors/app-exception';

/**
 * Deepest nesting of arrays and objects a JSON body may have. Records are a few levels deep; thousands of levels
 * only exhaust the stack of the recursive code after parsing (class-transformer, JSON.stringify) and became 500s.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The nesting depth of a JSON text, counted on its UTF-8 bytes in one pass (bytes of multi-byte characters never
 * equal an ASCII bracket or quote), stopping as soon as it passes `limit`. Malformed text is left to the parser.
 */
export function jsonDepthExceeds(body: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < body.length; index++) {
    const byte = body[index];
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

type Done = (error: Error | null, body?: unknown) => void;

/** Fastify's own JSON parser (prototype poisoning rejected), behind the nesting limit. */
export function createJsonBodyParser(
  fastify: FastifyInstance,
  maxDepth = MAX_JSON_DEPTH,
): (request: FastifyRequest, body: Buffer, done: Done) => void {
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error') as (
    request: FastifyRequest,
    body: string,
    done: Done,
  ) => void;
  return (request, body, done) => {
    if (jsonDepthExceeds(body, maxDepth)) {
      done(
        AppException.validation(`Request body is nested deeper than ${maxDepth} levels`, [
          { field: '(body)', message: `at most ${maxDepth} levels of arrays and objects` },
        ]),
      );
      return;
    }
    parse(request, body.toString('utf8'), done);
  };
}
