import { AppConfig } from '../../config/app-config';
import { PUSH_REQUEST_EXAMPLE, PUSH_REQUEST_OPENAPI_SCHEMA } from './dto/queue.dto';
import { PushBodyPipe } from './push-body.pipe';

const pipe = (maxItems: number) => new PushBodyPipe(AppConfig.fromEnv({ PUSH_MAX_ITEMS: String(maxItems) }));

describe(PushBodyPipe.name, () => {
  it('accepts the documented example', () => {
    expect(pipe(1).transform(PUSH_REQUEST_EXAMPLE)).toBe(PUSH_REQUEST_EXAMPLE);
  });

  it('refuses more items than PUSH_MAX_ITEMS with the validation error body', () => {
    const body = { items: [PUSH_REQUEST_EXAMPLE.items[0], PUSH_REQUEST_EXAMPLE.items[0]] };
    expect(() => pipe(1).transform(body)).toThrow(
      expect.objectContaining({
        message: 'items must NOT have more than 1 items',
        details: [{ field: 'items', message: 'must NOT have more than 1 items' }],
      }),
    );
  });

  it('allows null only for client_updated_at', () => {
    const item = PUSH_REQUEST_EXAMPLE.items[0];
    expect(() => pipe(1).transform({ items: [{ ...item, client_updated_at: null }] })).not.toThrow();
    expect(() => pipe(1).transform({ items: [{ ...item, client_updated_at: 5 }] })).toThrow(
      'items[0].client_updated_at must be string,null',
    );
    expect(() => pipe(1).transform({ items: [{ ...item, priority: null }] })).toThrow(
      'items[0].priority must be string',
    );
  });

  it('documents the PUSH_MAX_ITEMS default as the most items of a push', () => {
    expect(PUSH_REQUEST_OPENAPI_SCHEMA.properties?.items).toMatchObject({
      maxItems: AppConfig.fromEnv({}).get('PUSH_MAX_ITEMS'),
    });
  });
});
