import Fastify from 'fastify';
import { AppException } from '../errors/app-exception';
import { createJsonBodyParser, jsonDepthExceeds } from './json-body-parser';

const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonDepthExceeds', () => {
  it('allows nesting up to the limit and rejects one level more', () => {
    expect(jsonDepthExceeds(Buffer.from(nested(64)), 64)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(nested(65)), 64)).toBe(true);
    expect(jsonDepthExceeds(Buffer.from(`{"a":{"b":[${nested(61)}]}}`), 64)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `${'['.repeat(1000)} \\" " {{{`, list: [1, 2] });
    expect(jsonDepthExceeds(Buffer.from(text), 3)).toBe(false);
  });

  it('counts siblings once: depth, not the number of brackets', () => {
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify(Array.from({ length: 10_000 }, () => [{}]))), 3)).toBe(false);
  });
});

describe('createJsonBodyParser', () => {
  const parser = createJsonBodyParser(Fastify(), 64);
  const parse = (text: string): Promise<unknown> =>
    new Promise((done, fail) =>
      parser({} as never, Buffer.from(text), (error, body) => (error ? fail(error) : done(body))),
    );

  it('parses a body within the limit', async () => {
    await expect(parse('{"items":[{"data":{"a":1}}]}')).resolves.toEqual({ items: [{ data: { a: 1 } }] });
  });

  it('rejects 5,000 levels of arrays as a validation error before parsing', async () => {
    const error = await parse(nested(5000)).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).status).toBe(400);
  });

  it('keeps rejecting prototype poisoning', async () => {
    await expect(parse('{"__proto__":{"admin":true}}')).rejects.toMatchObject({ statusCode: 400 });
  });
});
