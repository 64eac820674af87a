import { AnalyticsScheduler } from '../../src/modules/analytics/analytics.scheduler';
import { countStatements } from '../helpers/statement-counter';
import { call, expectErrorBody, startTestApp, TestApp } from '../helpers/test-app';

const METRICS_TOKEN = 'metrics-token-for-the-reliability-suite';

/** A scrape from another address than loopback, through Fastify's injection (the socket peer is what counts). */
async function scrapeFrom(t: TestApp, remoteAddress: string, authorization?: string) {
  const response = await t.app
    .getHttpAdapter()
    .getInstance()
    .inject({ method: 'GET', url: '/metrics', remoteAddress, headers: authorization ? { authorization } : {} });
  const text = response.body;
  return { status: response.statusCode, body: text.startsWith('{') ? JSON.parse(text) : text, headers: new Headers() };
}

describe('hardening (issue 14, item 8): /metrics needs METRICS_TOKEN or loopback, and a scrape runs no SQL', () => {
  describe('with METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('hardening-metrics-token', { METRICS_TOKEN });
    });
    afterAll(() => t.close());

    it('answers 401 without the token or with another one, even from loopback, and 200 with it', async () => {
      expectErrorBody(await call(t, 'GET', '/metrics'), 401, 'UNAUTHORIZED');
      expectErrorBody(await call(t, 'GET', '/metrics', { key: 'metrics-token-for-the-reliability-suitX' }), 401);
      const admin = await t.createTenant();
      expectErrorBody(await call(t, 'GET', '/metrics', { key: admin.adminKey }), 401);
      const ok = await call(t, 'GET', '/metrics', { key: METRICS_TOKEN });
      expect(ok.status).toBe(200);
      expect(String(ok.body)).toMatch(/fieldsync_queue_pending_items\{priority="high"\} \d+/);
      expect((await scrapeFrom(t, '203.0.113.7', `Bearer ${METRICS_TOKEN}`)).status).toBe(200);
    });
  });

  describe('without METRICS_TOKEN', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp('hardening-metrics');
    });
    afterAll(() => t.close());

    it('answers loopback clients and 403 to any other address', async () => {
      expect((await call(t, 'GET', '/metrics')).status).toBe(200);
      expect((await scrapeFrom(t, '::1')).status).toBe(200);
      for (const address of ['203.0.113.7', '10.0.0.8', '::ffff:192.168.1.2', '2001:db8::1']) {
        expectErrorBody(await scrapeFrom(t, address), 403, 'FORBIDDEN');
      }
    });

    it('runs no SQL for 100 scrapes; the scheduled task refreshes the queue gauge with one statement', async () => {
      const counter = countStatements(t.db);
      let scrapes: string[];
      try {
        scrapes = await Promise.all(
          Array.from({ length: 100 }, async () => String((await call(t, 'GET', '/metrics')).body)),
        );
      } finally {
        counter.stop();
      }
      const duringScrapes = counter.count();
      const refresh = countStatements(t.db);
      try {
        await t.app.get(AnalyticsScheduler).metricsGauges();
      } finally {
        refresh.stop();
      }
      const after = String((await call(t, 'GET', '/metrics')).body);
      process.stdout.write(
        `[item 8] 100 concurrent scrapes: ${duringScrapes} SQL statements; scheduled refresh: ${refresh.count()} ` +
          `statement(s); gauge after refresh: ${/fieldsync_queue_pending_items\{priority="high"\} (\d+)/.exec(after)?.[1]}\n`,
      );
      expect(scrapes.every((text) => text.includes('fieldsync_queue_pending_items'))).toBe(true);
      expect(duringScrapes).toBe(0);
      expect(refresh.count()).toBe(1);
    });
  });
});
