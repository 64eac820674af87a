import { checkJson, FromSchema, JsonSchema, toOpenApiSchema } from './json-schema';

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'tags'],
  properties: {
    id: { type: 'integer', minimum: 1 },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } },
    note: { type: ['string', 'null'], maxLength: 10, description: 'free text' },
    data: { type: 'object' },
  },
} as const satisfies JsonSchema;

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe(toOpenApiSchema.name, () => {
  it('types a body from its schema: required keys required, the rest optional, null only where allowed', () => {
    const typed: Equal<
      FromSchema<typeof schema>,
      { id: number; tags: Array<'a' | 'b'>; note?: string | null; data?: Record<string, unknown> }
    > = true;
    expect(typed).toBe(true);
  });

  it('documents the same schema in OpenAPI 3.0, a nullable type spelled nullable: true', () => {
    expect(toOpenApiSchema(schema)).toEqual({
      ...schema,
      properties: {
        ...schema.properties,
        note: { type: 'string', nullable: true, maxLength: 10, description: 'free text' },
      },
    });
  });
});

const shape = {
  type: 'object',
  discriminator: { propertyName: 'kind' },
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'radius'],
      properties: { kind: { type: 'string', enum: ['circle'] }, radius: { type: 'number', minimum: 0 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'side'],
      properties: {
        kind: { type: 'string', enum: ['square'] },
        side: { type: 'integer', errorMessage: 'must be a whole side' },
        label: {},
      },
    },
  ],
} as const satisfies JsonSchema;

describe(checkJson.name, () => {
  it('types a discriminated union, a property without type as unknown', () => {
    const typed: Equal<
      FromSchema<typeof shape>,
      { kind: 'circle'; radius: number } | { kind: 'square'; side: number; label?: unknown }
    > = true;
    expect(typed).toBe(true);
  });

  it('answers every failure at its JSON pointer, unknown properties first, in document order', () => {
    expect(checkJson(schema, { id: 0, tags: ['a', 'c'], extra: 1, 'a/b': 2 })).toEqual([
      { pointer: '/extra', message: 'is not allowed' },
      { pointer: '/a~1b', message: 'is not allowed' },
      { pointer: '/id', message: 'must be an integer' },
      { pointer: '/tags/1', message: 'must be one of a, b' },
    ]);
    expect(checkJson(schema, { id: 1, tags: [], note: null })).toEqual([]);
    expect(checkJson(schema, [])).toEqual([{ pointer: '', message: 'must be an object' }]);
  });

  it('picks the branch by the discriminator and names a missing property with its own message', () => {
    expect(checkJson(shape, { kind: 'square' })).toEqual([{ pointer: '/side', message: 'must be a whole side' }]);
    expect(checkJson(shape, { kind: 'circle' })).toEqual([{ pointer: '/radius', message: 'is required' }]);
    expect(checkJson(shape, { kind: 'oval' })).toEqual([
      { pointer: '/kind', message: 'must be one of circle, square' },
    ]);
    expect(checkJson(shape, { kind: 'square', side: 2, label: { any: 'thing' } })).toEqual([]);
  });

  it('runs a refinement where the node stands, once its own keywords hold', () => {
    const refine = new Map([
      [shape.oneOf[1], (value: { side: number }) => (value.side > 9 ? { pointer: '/side', message: 'too big' } : null)],
    ]);
    expect(checkJson(shape, { kind: 'square', side: 10 }, refine)).toEqual([{ pointer: '/side', message: 'too big' }]);
    expect(checkJson(shape, { kind: 'circle', radius: 10 }, refine)).toEqual([]);
  });

  it('documents a union as oneOf with its discriminator, without the check-only messages', () => {
    const documented = toOpenApiSchema(shape);
    expect(documented.discriminator).toEqual({ propertyName: 'kind' });
    expect(documented.oneOf).toHaveLength(2);
    expect(JSON.stringify(documented)).not.toContain('errorMessage');
  });
});
