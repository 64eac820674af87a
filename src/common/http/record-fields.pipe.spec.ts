import { AppConfig } from '../../config/app-config';
import { AppException } from '../errors/app-exception';
import { countJsonFields, RecordFieldsPipe } from './record-fields.pipe';

describe('countJsonFields', () => {
  it('counts object members and array items at every level', () => {
    expect(countJsonFields(5)).toBe(0);
    expect(countJsonFields({})).toBe(0);
    expect(countJsonFields({ a: 1, b: { c: 2, d: [3, 4, { e: null }] } })).toBe(8);
    expect(countJsonFields([[[]]])).toBe(2);
  });

  it('stops once past the limit', () => {
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, { nested: Array(1000).fill(0) }]));
    expect(countJsonFields(wide, 10)).toBeLessThanOrEqual(1050);
    expect(countJsonFields(wide, 10)).toBeGreaterThan(10);
  });
});

describe('RecordFieldsPipe', () => {
  const Pipe = RecordFieldsPipe('server_version', 'items.*.data');
  const pipe = new Pipe(AppConfig.fromEnv({ RECORD_MAX_FIELDS: '3' }));

  it('passes bodies whose records are within RECORD_MAX_FIELDS', async () => {
    const body = { server_version: { a: 1, b: [2] }, items: [{ data: { x: 1 } }], other: Array(100).fill(1) };
    await expect(pipe.transform(body, { type: 'body' })).resolves.toBe(body);
  });

  it('names the first record beyond the limit', async () => {
    const error = await pipe
      .transform({ items: [{ data: {} }, { data: { a: { b: { c: { d: 1 } } } } }] }, { type: 'body' })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).details).toEqual([{ field: 'items[1].data', message: expect.any(String) }]);
  });
});
