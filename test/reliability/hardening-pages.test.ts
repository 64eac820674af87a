import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { LOOP_BOUND_MS, measureRequest, printCost, RSS_BUDGET_MB } from './request-budget';

/** Issue 14, item 1: pull pages and conflict lists are cut by bytes as well as by count, in SQL. */
const RECORDS = 100;
const RECORD_CHARS = 262_000;
const MAX_BYTES = 4 * 1024 * 1024;

describe('hardening (issue 14): pages cut by bytes', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let lastCursor: string | undefined;

  beforeAll(async () => {
    t = await startTestApp('hardening_pages', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
    tenant = await t.createTenant();
    // Written in SQL: the records are made by the database, never held by this process.
    await t.db.query(
      `INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, change_seq)
       SELECT $1, 'task', gen_random_uuid(), 1, jsonb_build_object('blob', repeat('x', $2::int), 'n', i), nextval('sync_change_seq')
       FROM generate_series(1, $3::int) AS i`,
      [tenant.id, RECORD_CHARS, RECORDS],
    );
    await t.db.query(
      `INSERT INTO conflict_log (tenant_id, id, domain, mobile_id, resolution_strategy, resolution_result,
         winning_version, merge_details, server_entry, client_entry, source)
       SELECT $1, gen_random_uuid(), 'task', gen_random_uuid(), 'server_wins', 'server_wins', 'server', '{}',
              jsonb_build_object('blob', repeat('s', $2::int)), jsonb_build_object('blob', repeat('c', $2::int)), 'push'
       FROM generate_series(1, 60)`,
      [tenant.id, RECORD_CHARS / 2],
    );
  });
  afterAll(() => t.close());

  it('keeps the worst single page request within the RSS and event-loop budget', async () => {
    const pull = await measureRequest(() =>
      call(t, 'GET', '/api/v1/sync/pull?limit=1000', { key: tenant.adminKey, device: 'dev-pages' }),
    );
    printCost(`item 1, GET /api/v1/sync/pull?limit=1000 over ${RECORDS} × 262 KB`, pull.result.status, pull);
    const conflicts = await measureRequest(() =>
      call(t, 'GET', '/api/v1/conflicts?limit=200', { key: tenant.adminKey }),
    );
    printCost('item 1, GET /api/v1/conflicts?limit=200 over 60 × 2 × 131 KB', conflicts.result.status, conflicts);
    for (const cost of [pull, conflicts]) {
      expect(cost.result.status).toBe(200);
      expect(cost.rssMb).toBeLessThan(RSS_BUDGET_MB);
      expect(cost.loopMs).toBeLessThan(LOOP_BOUND_MS);
    }
  });

  it(`pulls ${RECORDS} records of ~262 KB in pages of at most PULL_MAX_BYTES, each record once`, async () => {
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    let largest = 0;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    for (;;) {
      // The records are seeded in SQL without scope keys, so the tenant-wide (admin) feed reads them.
      const page = await call(t, 'POST', '/api/v1/sync/pull', {
        key: tenant.adminKey,
        device: 'dev-pages',
        body: cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor },
      });
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      expect(page.status).toBe(200);
      pages++;
      const bytes = page.body.changes.reduce(
        (sum: number, change: { data: unknown }) => sum + Buffer.byteLength(JSON.stringify(change.data)),
        0,
      );
      largest = Math.max(largest, bytes);
      expect(page.body.changes.length).toBeGreaterThanOrEqual(1);
      expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
      for (const change of page.body.changes) {
        expect(seen.has(change.mobile_id)).toBe(false);
        seen.add(change.mobile_id);
      }
      cursor = page.body.next_cursor;
      if (!page.body.has_more) break;
      expect(pages).toBeLessThan(RECORDS + 1);
    }
    const growthMb = (rssPeak - rssBefore) / 2 ** 20;
    process.stdout.write(
      `[item 1] pull limit=1000 over ${RECORDS} × 262 KB: ${pages} pages, largest ${(largest / 2 ** 20).toFixed(2)} MiB, RSS growth ${growthMb.toFixed(0)} MB\n`,
    );
    expect(seen.size).toBe(RECORDS);
    lastCursor = cursor;
    expect(growthMb).toBeLessThan(256);
  });

  it('sends a record larger than PULL_MAX_BYTES alone, with has_more', async () => {
    await t.db.query(
      `INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, change_seq)
       SELECT $1, 'task', gen_random_uuid(), 1, jsonb_build_object('blob', repeat('y', $2::int)),
              nextval('sync_change_seq')
       FROM generate_series(1, 2) AS i`,
      [tenant.id, MAX_BYTES + 1000],
    );
    const pull = (cursor: string) =>
      call(t, 'POST', '/api/v1/sync/pull', { key: tenant.adminKey, device: 'dev-pages', body: { limit: 10, cursor } });
    const first = await pull(lastCursor!);
    expect(first.status).toBe(200);
    expect(first.body.changes).toHaveLength(1);
    expect(first.body.has_more).toBe(true);
    const second = await pull(first.body.next_cursor);
    expect(second.body.changes).toHaveLength(1);
    expect(second.body.has_more).toBe(false);
  });

  it('lists conflicts in pages of at most LIST_MAX_BYTES', async () => {
    let cursor: string | null = null;
    const seen = new Set<string>();
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const page = await call(t, 'GET', `/api/v1/conflicts?limit=200${query}`, { key: tenant.adminKey });
      expect(page.status).toBe(200);
      pages++;
      expect(page.body.items.length).toBeGreaterThanOrEqual(1);
      expect(Buffer.byteLength(JSON.stringify(page.body.items))).toBeLessThanOrEqual(MAX_BYTES);
      for (const item of page.body.items) seen.add(item.id);
      cursor = page.body.next_cursor;
    } while (cursor !== null && pages <= 60);
    process.stdout.write(`[item 1] conflicts limit=200 over 60 × 262 KB: ${pages} pages\n`);
    expect(seen.size).toBe(60);
    expect(pages).toBeGreaterThan(1);
  });

  describe('a sync user (issue 13): the scoped pull, its back-fill and the snapshot', () => {
    const SCOPED = 40;
    let scoped: TestTenant;
    let techKey: string;

    /** Records of ~262 KB holding one scope key, made by the database, with their log entries. */
    async function seedUnder(scopeKey: string, count: number): Promise<void> {
      await t.db.query(
        `WITH made AS (
           INSERT INTO sync_record (tenant_id, domain, mobile_id, version, data, change_seq)
           SELECT $1, 'task', gen_random_uuid(), 1, jsonb_build_object('blob', repeat('z', $2::int), 'n', i),
                  nextval('sync_change_seq')
           FROM generate_series(1, $3::int) AS i
           RETURNING domain, mobile_id, change_seq),
         keyed AS (
           INSERT INTO record_scope (tenant_id, domain, mobile_id, scope_key)
           SELECT $1, domain, mobile_id, $4 FROM made)
         INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
         SELECT $1, $4, change_seq, domain, mobile_id, 'add', 'edit' FROM made`,
        [scoped.id, RECORD_CHARS, count, scopeKey],
      );
    }

    /** Every page from `cursor` on, checking each against the byte bound; the records seen once each. */
    async function walk(path: (cursor: string | undefined) => string, cursor?: string) {
      const seen = new Set<string>();
      let pages = 0;
      for (;;) {
        const page = await call(t, 'GET', path(cursor), { key: techKey, device: 'dev-scoped' });
        expect(page.status).toBe(200);
        pages++;
        const bytes = page.body.changes.reduce(
          (sum: number, change: { data: unknown }) => sum + Buffer.byteLength(JSON.stringify(change.data)),
          0,
        );
        expect(bytes).toBeLessThanOrEqual(MAX_BYTES);
        for (const change of page.body.changes) {
          expect(seen.has(change.mobile_id)).toBe(false);
          seen.add(change.mobile_id);
        }
        cursor = page.body.next_cursor;
        if (!page.body.has_more) return { seen, pages, cursor: cursor! };
        expect(pages).toBeLessThan(SCOPED * 2);
      }
    }

    beforeAll(async () => {
      scoped = await t.createTenant();
      techKey = await scoped.syncKeyFor('tech-big');
      await seedUnder('g:group:big:member', SCOPED);
      await seedUnder('u:tech-big', SCOPED);
    });

    let feedCursor: string;

    it(`pulls ${SCOPED} in-scope records of ~262 KB in pages of at most PULL_MAX_BYTES`, async () => {
      const { seen, pages, cursor } = await walk(
        (c) => `/api/v1/sync/pull?limit=1000${c ? `&cursor=${encodeURIComponent(c)}` : ''}`,
      );
      process.stdout.write(`[issue 13] scoped pull limit=1000 over ${SCOPED} × 262 KB: ${pages} pages\n`);
      expect(seen.size).toBe(SCOPED);
      expect(pages).toBeGreaterThan(2);
      feedCursor = cursor;
    });

    it('back-fills a granted key in pages of at most PULL_MAX_BYTES', async () => {
      const put = await call(t, 'PUT', '/api/v1/users/tech-big', {
        key: scoped.adminKey,
        body: { memberships: [{ group: 'group:big', role: 'member' }] },
      });
      expect(put.status).toBe(200);
      const { seen, pages } = await walk(
        (c) => `/api/v1/sync/pull?limit=1000&cursor=${encodeURIComponent(c!)}`,
        feedCursor,
      );
      process.stdout.write(`[issue 13] back-fill limit=1000 over ${SCOPED} × 262 KB: ${pages} pages\n`);
      expect(seen.size).toBe(SCOPED);
    });

    it('cuts snapshot pages at PULL_MAX_BYTES too', async () => {
      const { seen, pages } = await walk(
        (c) => `/api/v1/sync/snapshot?limit=1000${c ? `&cursor=${encodeURIComponent(c)}` : ''}`,
      );
      process.stdout.write(`[issue 13] snapshot limit=1000 over ${2 * SCOPED} × 262 KB: ${pages} pages\n`);
      expect(seen.size).toBe(2 * SCOPED);
      expect(pages).toBeGreaterThan(4);
    });
  });
});
