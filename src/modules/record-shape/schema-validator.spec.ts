import { SchemaValidatorCache } from './schema-validator';

const TICKET = {
  type: 'object',
  required: ['status', 'ticketdesc'],
  additionalProperties: false,
  properties: {
    status: { type: 'string', enum: ['NEW', 'OPEN', 'CLOSED'] },
    ticketdesc: { type: 'string', minLength: 10 },
    comments: { type: 'string', maxLength: 250 },
    escalated_at: { type: 'string', format: 'date-time' },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' } } } },
  },
};

describe(SchemaValidatorCache.name, () => {
  it('points at the keyword a bad schema gets wrong: /properties/status/type', () => {
    const cache = new SchemaValidatorCache();
    const errors = cache.check({ type: 'object', properties: { status: { type: 'strng' } } });
    expect(errors[0]).toEqual({ pointer: '/properties/status/type', message: expect.any(String) });
  });

  it('points at an unknown keyword, however deep (a typo must not validate nothing)', () => {
    const cache = new SchemaValidatorCache();
    expect(cache.check({ type: 'object', properties: { lines: { items: { requried: ['qty'] } } } })).toEqual([
      { pointer: '/properties/lines/items/requried', message: 'is not a known JSON Schema keyword' },
    ]);
  });

  it('points at an unknown format', () => {
    const cache = new SchemaValidatorCache();
    expect(cache.check({ properties: { a: { type: 'string', format: 'colour' } } })).toEqual([
      { pointer: '/properties/a/format', message: 'unknown format "colour"' },
    ]);
  });

  it('lets two tenants use the same $id', () => {
    const cache = new SchemaValidatorCache();
    const schema = { $id: 'https://example.com/task.json', type: 'object' };
    expect(cache.compile('1/task/1', { ...schema })).toHaveProperty('validate');
    expect(cache.compile('2/task/1', { ...schema })).toHaveProperty('validate');
  });

  it('compiles each version once, however many records it validates', () => {
    const cache = new SchemaValidatorCache();
    for (let i = 0; i < 50; i++) {
      expect(cache.validate('1/ticket/1', TICKET, { status: 'OPEN', ticketdesc: 'Leak near the pantry' })).toEqual([]);
    }
    expect(cache.compiles).toBe(1);
  });

  it('reports a record’s failures as JSON pointers into the record', () => {
    const cache = new SchemaValidatorCache();
    const errors = cache.validate('1/ticket/1', TICKET, {
      status: 'DONE',
      comments: 7,
      extra: true,
      escalated_at: 'yesterday',
      lines: [{ qty: 1 }, { qty: 1.5 }],
    });
    expect(errors.map((e) => e.pointer).sort()).toEqual([
      '/comments',
      '/escalated_at',
      '/extra',
      '/lines/1/qty',
      '/status',
      '/ticketdesc',
    ]);
    expect(errors.find((e) => e.pointer === '/ticketdesc')!.message).toBe('is required');
  });

  it('drops the least recently used validators beyond its capacity', () => {
    const cache = new SchemaValidatorCache(2);
    cache.compile('a', { type: 'object' });
    cache.compile('b', { type: 'object' });
    cache.compile('a', { type: 'object' });
    cache.compile('c', { type: 'object' });
    cache.compile('a', { type: 'object' });
    expect(cache.compiles).toBe(3);
    cache.compile('b', { type: 'object' });
    expect(cache.compiles).toBe(4);
  });
});
