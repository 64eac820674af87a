import fc from 'fast-check';
import Fastify from 'fastify';
import { AppException } from '../errors/app-exception';
import { createJsonBodyParser, LARGE_BODY_BYTES, scanJsonBody } from './json-body-parser';

const nested = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

const tooDeep = (text: Buffer, limit: number): boolean => scanJsonBody(text, limit)?.kind === 'too_deep';
const unsafe = (text: string): unknown => scanJsonBody(Buffer.from(text), 64);

describe('scanJsonBody: depth', () => {
  it('allows nesting up to the limit and rejects one level more', () => {
    expect(tooDeep(Buffer.from(nested(64)), 64)).toBe(false);
    expect(tooDeep(Buffer.from(nested(65)), 64)).toBe(true);
    expect(tooDeep(Buffer.from(`{"a":{"b":[${nested(61)}]}}`), 64)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ note: `${'['.repeat(1000)} \\" " {{{`, list: [1, 2] });
    expect(tooDeep(Buffer.from(text), 3)).toBe(false);
  });

  it('ends a string at a quote after an even run of backslashes, never after an odd one', () => {
    for (let run = 0; run <= 8; run++) {
      // Written by JSON.stringify: run backslashes become 2 × run, the quote after them one more.
      const note = JSON.stringify(`${'\\'.repeat(run)}"[[[[${'\\'.repeat(run)}`);
      const text = `{"note": ${note}, "after": 9007199254740993}`;
      // The unsafe integer after the string is found only if the string was skipped exactly.
      expect([text, scanJsonBody(Buffer.from(text), 3)?.kind]).toEqual([text, 'unsafe_integer']);
    }
  });

  it('counts siblings once: depth, not the number of brackets', () => {
    expect(tooDeep(Buffer.from(JSON.stringify(Array.from({ length: 10_000 }, () => [{}]))), 3)).toBe(false);
  });
});

describe('scanJsonBody: integers beyond ±(2^53 − 1)', () => {
  it('finds them exactly, with the field they are in', () => {
    expect(unsafe('{"a":9007199254740992}')).toEqual({
      kind: 'unsafe_integer',
      field: 'a',
      literal: '9007199254740992',
    });
    expect(unsafe('[1,{"b":[0,-9007199254740992]}]')).toMatchObject({ field: '[1].b[1]' });
    expect(unsafe('{"items":[{"x":1},{"data":{"n":1,"m":12345678901234567890}}]}')).toMatchObject({
      field: 'items[1].data.m',
    });
    expect(unsafe('{"we\\"ird,:{[":{"k":[99999999999999999]}}')).toMatchObject({ field: 'we"ird,:{[.k[0]' });
    expect(unsafe('123456789012345678901234567890')).toMatchObject({ field: '(body)' });
  });

  it('leaves safe integers, floating-point literals and digits in strings alone', () => {
    expect(unsafe('{"a":9007199254740991,"b":-9007199254740991,"c":1000000000000000}')).toBeNull();
    expect(unsafe('{"f":9007199254740993.5,"g":1e300,"h":-12345678901234567890E-3}')).toBeNull();
    expect(unsafe('{"s":"9007199254740993","12345678901234567890":true}')).toBeNull();
  });

  it('agrees with an exact check on random integer literals', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (value) => {
        const safe = value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER);
        expect(unsafe(`{"v":[${value}]}`) === null).toBe(safe);
      }),
    );
  });
});

describe('scanJsonBody: members per object or array', () => {
  it('allows the limit and names the container one member beyond it', () => {
    const members = (n: number): string =>
      JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, [i, i]])));
    expect(scanJsonBody(Buffer.from(`{"a":${members(100)}}`), 64, 100)).toBeNull();
    expect(scanJsonBody(Buffer.from(`{"a":${members(101)}}`), 64, 100)).toEqual({
      kind: 'too_many_members',
      field: 'a',
    });
    const list = JSON.stringify({ items: [{}, { data: { tags: Array(101).fill('x,y') } }] });
    expect(scanJsonBody(Buffer.from(list), 64, 100)).toEqual({ kind: 'too_many_members', field: 'items[1].data.tags' });
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

  it('rejects an unsafe integer as UNSAFE_INTEGER instead of rounding it', async () => {
    const error = await parse('{"data":{"n":9007199254740993}}').catch((failure: unknown) => failure);
    expect(error).toMatchObject({ code: 'UNSAFE_INTEGER', status: 400, details: [{ field: 'data.n' }] });
  });

  it('parses a body of LARGE_BODY_BYTES or more in later turns of the event loop', async () => {
    const body = { items: Array.from({ length: 200 }, (_, i) => ({ i, text: 'y'.repeat(LARGE_BODY_BYTES / 100) })) };
    let answered = false;
    const parsed = parse(JSON.stringify(body)).then((value) => {
      answered = true;
      return value;
    });
    expect(answered).toBe(false);
    await expect(parsed).resolves.toEqual(body);
    const error = await parse(`{"text":"${'y'.repeat(LARGE_BODY_BYTES)}"x`).catch((failure: unknown) => failure);
    expect(error).toMatchObject({ statusCode: 400 });
  });

  it('parses a large body item by item into the value of one JSON.parse', async () => {
    const pad = 'z'.repeat(LARGE_BODY_BYTES / 50);
    const items = Array.from({ length: 100 }, (_, i) => ({ i, pad, nested: [[i], { a: [1, 2] }], s: 'a,b]' }));
    const cases = [
      JSON.stringify({ before: [1, 2], items, after: { x: [3] } }),
      ` { "items" : [ ${items.map((item) => JSON.stringify(item)).join(' ,\n ')} ] , "n": 1 } `,
      // A repeated key: the last one wins, as in JSON.parse.
      `{"items":${JSON.stringify(items)},"items":[]}`,
      `{"items":${JSON.stringify(items)},"items":"split:x"}`,
      JSON.stringify({ list: items.map((item) => item.i), big: pad.repeat(60) }),
    ];
    for (const text of cases) await expect(parse(text)).resolves.toEqual(JSON.parse(text));
  });

  it('rejects a large body with poisoning or a malformed item like the whole text', async () => {
    const pad = 'z'.repeat(LARGE_BODY_BYTES / 50);
    const good = Array.from({ length: 60 }, () => JSON.stringify({ pad }));
    await expect(parse(`{"items":[${good.join(',')},{"__proto__":{"admin":true}}]}`)).rejects.toMatchObject({
      statusCode: 400,
    });
    await expect(parse(`{"items":[${good.join(',')},]}`)).rejects.toMatchObject({ statusCode: 400 });
    await expect(parse(`{"items":[${good.join(',')}]`)).rejects.toMatchObject({ statusCode: 400 });
  });

  it('keeps rejecting prototype poisoning', async () => {
    await expect(parse('{"__proto__":{"admin":true}}')).rejects.toMatchObject({ statusCode: 400 });
  });
});
