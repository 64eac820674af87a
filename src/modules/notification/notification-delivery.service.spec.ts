import { createHmac } from 'node:crypto';
import { signWebhookBody } from './notification-delivery.service';

describe(signWebhookBody.name, () => {
  it('signs the exact body with HMAC-SHA256 of the tenant secret', () => {
    const body = '{"id":"7","kind":"alert"}';
    const expected = createHmac('sha256', 'secret-0123456789').update(body).digest('hex');
    expect(signWebhookBody(body, 'secret-0123456789')).toBe(`sha256=${expected}`);
  });

  it('changes when one byte of the body changes', () => {
    expect(signWebhookBody('{"a":1}', 's')).not.toBe(signWebhookBody('{"a":2}', 's'));
  });
});
