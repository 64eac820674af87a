import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenAPIObject } from '@nestjs/swagger';
import { finishOpenApiDocument, operationIdFactory } from './openapi-document';

const committed = JSON.parse(readFileSync(join(__dirname, '../../../openapi.json'), 'utf8')) as OpenAPIObject;

function operation(responses: Record<string, unknown> = { '200': { description: '' } }, extra = {}) {
  return { operationId: 'getThing', responses, ...extra };
}

describe('finishOpenApiDocument', () => {
  it('names a route without an explicit operationId by its method and controller stem', () => {
    expect(operationIdFactory('DirectoryController', 'list')).toBe('listDirectory');
  });

  it('refuses a repeated or unreadable operationId', () => {
    const repeated = { paths: { '/a': { get: operation() }, '/b': { get: operation() } } } as unknown as OpenAPIObject;
    expect(() => finishOpenApiDocument(repeated)).toThrow(/getThing is used by GET \/a and GET \/b/);
    const unreadable = {
      paths: { '/a': { get: { ...operation(), operationId: 'QueueController_push' } } },
    } as unknown as OpenAPIObject;
    expect(() => finishOpenApiDocument(unreadable)).toThrow(/not camelCase/);
  });

  it('makes nullable references and enums validate, lists a header once and adds the shared errors', () => {
    const document = {
      paths: {
        '/a': {
          post: operation(undefined, {
            security: [{ bearer: [] }],
            requestBody: { content: {} },
            parameters: [
              { name: 'X-Device-Id', in: 'header', required: false },
              { name: 'x-device-id', in: 'header', required: true },
            ],
          }),
        },
      },
      components: {
        schemas: {
          Thing: {
            properties: {
              record: { nullable: true, type: 'object', allOf: [{ $ref: '#/components/schemas/Other' }] },
              winner: { nullable: true, type: 'string', enum: ['client', 'server'] },
              value: { type: 'object', 'x-json-value': true },
            },
          },
        },
      },
    } as unknown as OpenAPIObject;
    const finished = finishOpenApiDocument(document);
    const post = finished.paths['/a'].post!;
    expect(post.parameters).toEqual([{ name: 'x-device-id', in: 'header', required: true }]);
    expect(Object.keys(post.responses).sort()).toEqual(['200', '400', '401', '403', '413', '415', '429', '500', '503']);
    const properties = (finished.components!.schemas!.Thing as { properties: Record<string, unknown> }).properties;
    expect(properties.record).toEqual({
      anyOf: [{ $ref: '#/components/schemas/Other' }, { type: 'object', nullable: true, enum: [null] }],
    });
    expect(properties.winner).toEqual({ nullable: true, type: 'string', enum: ['client', 'server', null] });
    expect(properties.value).toEqual({ nullable: true });
  });

  it('the committed document: integers with bounds, one X-Device-Id, required on push', () => {
    const push = committed.paths['/api/v1/sync/push'].post!;
    const headers = (push.parameters as Array<{ name: string; in: string; required?: boolean }>).filter(
      (parameter) => parameter.in === 'header' && parameter.name.toLowerCase() === 'x-device-id',
    );
    expect(headers).toEqual([expect.objectContaining({ required: true })]);
    const limit = (
      committed.paths['/api/v1/sync/pull'].get!.parameters as Array<{ name: string; schema: unknown }>
    ).find((parameter) => parameter.name === 'limit')!;
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    expect(JSON.stringify(committed)).not.toMatch(/Controller_/);
  });
});
