import { FromSchema, JsonSchema, toOpenApiSchema } from './json-schema';

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
