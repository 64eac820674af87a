import { openStream, SseClient } from '../helpers/sse-client';
import { pushItem } from '../factories/records';
import { call, expectErrorBody, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

describe('live changes: SSE stream and long poll', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  const open: SseClient[] = [];

  beforeAll(async () => {
    t = await startTestApp('live', { STREAM_MAX_CONNECTIONS: 4, STREAM_HEARTBEAT_MS: 200, STREAM_RETRY_MS: 1500 });
    tenant = await t.createTenant();
    other = await t.createTenant();
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  afterAll(() => t.close());

  async function stream(key: string, query = '', headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await openStream(`${t.url}/api/v1/sync/changes/stream${query}`, {
      authorization: `Bearer ${key}`,
      'x-device-id': 'phone-1',
      ...headers,
    });
    open.push(client);
    return client;
  }

  function push(key: string, items: unknown[]) {
    return call(t, 'POST', '/api/v1/sync/push', { key, device: 'tablet-9', body: { items } });
  }

  const changed = (mobileId: string) => (event: { event: string; data: any }) =>
    event.event === 'changes' && event.data.changes.some((change: any) => change.mobile_id === mobileId);

  it('sends a pushed change as a pull page, with the page cursor as the event id and a retry hint', async () => {
    const start = await call(t, 'GET', '/api/v1/sync/pull', { key: tenant.syncKey, device: 'phone-1' });
    const client = await stream(tenant.syncKey, `?cursor=${start.body.next_cursor}`);
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    const item = pushItem();
    expect((await push(tenant.syncKey, [item])).status).toBe(200);
    const event = await client.waitFor(changed(item.mobile_id));
    expect(event.id).toBe(event.data.next_cursor);
    expect(event.retry).toBe(1500);
    expect(event.data).toEqual({
      changes: [expect.objectContaining({ mobile_id: item.mobile_id, version: 1 })],
      next_cursor: expect.any(String),
      has_more: false,
    });
    await client.waitFor((e) => e.event === 'heartbeat', 2000);
  });

  it('resumes from Last-Event-ID after a dropped connection and misses nothing', async () => {
    const first = await stream(tenant.syncKey, '', {});
    const a = pushItem();
    await push(tenant.syncKey, [a]);
    const seen = await first.waitFor(changed(a.mobile_id));
    first.close();
    const missed = [pushItem(), pushItem(), pushItem()];
    for (const item of missed) await push(tenant.syncKey, [item]);
    const again = await stream(tenant.syncKey, '', { 'last-event-id': seen.id! });
    for (const item of missed) await again.waitFor(changed(item.mobile_id));
    const ids = again.events.flatMap((e) => (e.event === 'changes' ? e.data.changes.map((c: any) => c.mobile_id) : []));
    expect(ids).not.toContain(a.mobile_id);
    expect(ids).toEqual(missed.map((item) => item.mobile_id));
  });

  it("never sends another tenant's change", async () => {
    const mine = await stream(
      tenant.syncKey,
      `?cursor=${(await call(t, 'GET', '/api/v1/sync/pull?limit=1000', { key: tenant.syncKey })).body.next_cursor}`,
    );
    const foreign = pushItem();
    await push(other.syncKey, [foreign]);
    const own = pushItem();
    await push(tenant.syncKey, [own]);
    await mine.waitFor(changed(own.mobile_id));
    expect(mine.events.some(changed(foreign.mobile_id))).toBe(false);
  });

  it('gzips the stream when asked, flushed per event', async () => {
    const client = await stream(tenant.syncKey, '', { 'accept-encoding': 'gzip' });
    expect(client.headers['content-encoding']).toBe('gzip');
    const item = pushItem();
    await push(tenant.syncKey, [item]);
    await client.waitFor(changed(item.mobile_id));
  });

  it('answers 400 for a bad cursor and 503 with the error body beyond STREAM_MAX_CONNECTIONS', async () => {
    const bad = await stream(tenant.syncKey, '?cursor=nope');
    expect(bad.status).toBe(400);
    for (let n = 0; n < 4; n++) expect((await stream(tenant.syncKey)).status).toBe(200);
    const refused = await stream(tenant.syncKey);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('STREAM_LIMIT_REACHED');
    expect(refused.headers['retry-after']).toBe('2');
  });

  it('long-polls: an empty pull with wait returns as soon as a change commits', async () => {
    const start = await call(t, 'GET', '/api/v1/sync/pull?limit=1000', { key: tenant.syncKey });
    const item = pushItem();
    const began = Date.now();
    const waiting = call(t, 'GET', `/api/v1/sync/pull?wait=20&cursor=${start.body.next_cursor}`, {
      key: tenant.syncKey,
    });
    await new Promise((done) => setTimeout(done, 300));
    await push(tenant.syncKey, [item]);
    const page = await waiting;
    expect(page.status).toBe(200);
    expect(page.body.changes.map((c: any) => c.mobile_id)).toEqual([item.mobile_id]);
    expect(Date.now() - began).toBeLessThan(5000);
    const body = await call(t, 'POST', '/api/v1/sync/pull', {
      key: tenant.syncKey,
      body: { cursor: page.body.next_cursor, wait: 1 },
    });
    expect(body.body.changes).toEqual([]);
    expectErrorBody(await call(t, 'GET', '/api/v1/sync/pull?wait=61', { key: tenant.syncKey }), 400);
  });
});
