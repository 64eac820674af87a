import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotificationDeliveryService } from '../../src/modules/notification/notification-delivery.service';
import { startTestApp, TestApp, TestTenant } from '../helpers/test-app';

/**
 * Issue 14, item 5 at delivery time: a webhook_url that passed the check when it was set (or was stored before the
 * check existed) is checked again when a notification is sent, after DNS, and the connection goes to the address
 * checked. The receiver listens on loopback; DNS answers are staged through the service's `lookup` (the system
 * resolver in production; no configuration switch turns the check off).
 */
describe('hardening (issue 14, item 5): webhook addresses are checked again at delivery, after DNS', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let server: Server;
  let port: number;
  let delivery: NotificationDeliveryService;
  const received: string[] = [];
  const lookups: string[] = [];

  beforeAll(async () => {
    t = await startTestApp('hardening-webhook', { WEBHOOK_ALLOW_HTTP: true });
    tenant = await t.createTenant();
    server = createServer((request, response) => {
      received.push(`${request.method} ${request.headers.host}${request.url}`);
      request.resume();
      response.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    delivery = t.app.get(NotificationDeliveryService);
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  beforeEach(() => {
    received.length = 0;
    lookups.length = 0;
  });

  /** Stores `url` as the tenant's webhook directly (as if it passed when set) and queues one notification. */
  async function queueNotification(url: string): Promise<void> {
    await t.db.query(`UPDATE tenant SET webhook_url = $1, webhook_secret = NULL WHERE id = $2`, [url, tenant.id]);
    await t.db.query(`DELETE FROM notification_outbox WHERE tenant_id = $1`, [tenant.id]);
    await t.db.query(`INSERT INTO notification_outbox (tenant_id, kind, payload) VALUES ($1, 'alert', '{}')`, [
      tenant.id,
    ]);
  }

  async function outboxRow(): Promise<{ status: string; attempts: number; last_error: string | null }> {
    const [row] = await t.db.query(
      `SELECT status, attempts, last_error FROM notification_outbox WHERE tenant_id = $1`,
      [tenant.id],
    );
    return row;
  }

  it('refuses a stored loopback URL at delivery: marked failed with the reason, nothing sent', async () => {
    await queueNotification(`http://127.0.0.1:${port}/hook`);
    const result = await delivery.deliverDue();
    const row = await outboxRow();
    process.stdout.write(`[item 5] stored http://127.0.0.1:${port}/hook → ${row.status}: ${row.last_error}\n`);
    expect(result).toMatchObject({ delivered: 0, failed: 1 });
    expect(row).toEqual({
      status: 'failed',
      attempts: 1,
      last_error: 'webhook_url refused at delivery: names a loopback address',
    });
    expect(received).toEqual([]);
  });

  it('refuses a host name that now resolves to 127.0.0.1', async () => {
    delivery.lookup = async (host) => {
      lookups.push(host);
      return [{ address: '127.0.0.1' }];
    };
    await queueNotification(`http://hooks.rebound.test:${port}/hook`);
    const result = await delivery.deliverDue();
    const row = await outboxRow();
    process.stdout.write(`[item 5] hooks.rebound.test → 127.0.0.1: ${row.status}: ${row.last_error}\n`);
    expect(result).toMatchObject({ delivered: 0, failed: 1 });
    expect(row.status).toBe('failed');
    expect(row.last_error).toBe(
      'webhook_url refused at delivery: host hooks.rebound.test resolves to a loopback address',
    );
    expect(lookups).toEqual(['hooks.rebound.test']);
    expect(received).toEqual([]);
  });

  it('connects to the address it checked: a resolver that answers public, then loopback, never reaches loopback', async () => {
    let calls = 0;
    delivery.lookup = async (host) => {
      lookups.push(host);
      calls += 1;
      // TEST-NET addresses are refused too; this public address is unreachable from the test machine.
      return [{ address: calls === 1 ? '93.184.216.34' : '127.0.0.1' }];
    };
    await queueNotification(`http://hooks.rebinding.test:${port}/hook`);
    const result = await delivery.deliverDue();
    const row = await outboxRow();
    process.stdout.write(`[item 5] rebinding public → loopback: ${row.status}: ${row.last_error}; lookups ${calls}\n`);
    expect(calls).toBe(1);
    expect(received).toEqual([]);
    expect(result.delivered).toBe(0);
    expect(row.last_error).toMatch(/^webhook unreachable: /);
  });
});
