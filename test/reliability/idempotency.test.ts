import { randomUUID } from 'node:crypto';
import { pushItem, ticketData } from '../factories/records';
import { call, CallResult, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

interface PushResult {
  client_mutation_id: string;
  status: string;
  server_version: number | null;
  replayed?: boolean;
}

const withoutReplayed = (results: PushResult[]): PushResult[] =>
  results.map(({ replayed: _replayed, ...result }) => result);

async function eventsSettled(t: TestApp, tenantId: string, expected: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const [row] = await t.db.query(`SELECT count(*)::int AS n FROM sync_event WHERE tenant_id = $1`, [tenantId]);
    if (row.n >= expected) return;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`sync events of tenant ${tenantId} did not reach ${expected}`);
}

async function recordState(t: TestApp, tenantId: string, mobileIds: string[]) {
  const records: Array<{ mobile_id: string; version: number }> = await t.db.query(
    `SELECT mobile_id, version FROM sync_record WHERE tenant_id = $1 AND mobile_id = ANY($2::uuid[]) ORDER BY mobile_id`,
    [tenantId, mobileIds],
  );
  const [revisions] = await t.db.query(
    `SELECT count(*)::int AS n FROM sync_record_revision WHERE tenant_id = $1 AND mobile_id = ANY($2::uuid[])`,
    [tenantId, mobileIds],
  );
  const [queued] = await t.db.query(`SELECT count(*)::int AS n FROM sync_queue_item WHERE tenant_id = $1`, [tenantId]);
  return { versions: records.map((record) => record.version), revisions: revisions.n, queueItems: queued.n };
}

describe('replayed pushes apply once', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('idempotency', { RATE_LIMIT_PER_MINUTE: 1_000_000 });
  });
  afterAll(() => t.close());

  const push = (tenant: TestTenant, device: string, body: unknown): Promise<CallResult> =>
    call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device, body });

  it('returns the first results to sequential replays and changes nothing', async () => {
    const tenant = await t.createTenant();
    const items = [pushItem({ priority: 'high' }), pushItem({ domain: 'ticket', data: ticketData() }), pushItem()];
    const mobileIds = items.map((item) => item.mobile_id);
    const first = await push(tenant, 'phone', { items });
    const afterFirst = await recordState(t, tenant.id, mobileIds);
    const replays: CallResult[] = [];
    for (let n = 0; n < 5; n++) replays.push(await push(tenant, 'phone', { items }));
    const afterReplays = await recordState(t, tenant.id, mobileIds);

    process.stdout.write(
      `sequential replays: 1 push + ${replays.length} replays of ${items.length} items → statuses ` +
        `${JSON.stringify([first, ...replays].map((r) => r.status))}; versions ${JSON.stringify(afterReplays.versions)}, ` +
        `revisions ${afterReplays.revisions}, queue items ${afterReplays.queueItems}\n`,
    );
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: PushResult) => r.status)).toEqual(['applied', 'applied', 'applied']);
    expect(first.body.results.some((r: PushResult) => r.replayed)).toBe(false);
    for (const replay of replays) {
      expect(replay.status).toBe(200);
      expect(replay.body.results).toEqual(first.body.results.map((r: PushResult) => ({ ...r, replayed: true })));
      expect(replay.body.remaining).toBe(first.body.remaining);
    }
    expect(afterReplays).toEqual(afterFirst);
    expect(afterReplays).toEqual({ versions: [1, 1, 1], revisions: 3, queueItems: 3 });
  });

  it('applies 10 concurrent copies of one push once, and all answer the same results', async () => {
    const tenant = await t.createTenant();
    const items = [pushItem(), pushItem({ domain: 'ticket', data: ticketData() })];
    const mobileIds = items.map((item) => item.mobile_id);
    const copies = await Promise.all(Array.from({ length: 10 }, () => push(tenant, 'tablet', { items })));
    const state = await recordState(t, tenant.id, mobileIds);
    const originals = copies.filter((copy) => copy.body.results?.every((r: PushResult) => !r.replayed));
    const replayed = copies.filter((copy) => copy.body.results?.every((r: PushResult) => r.replayed === true));

    process.stdout.write(
      `concurrent duplicates: 10 copies of a ${items.length}-item push → statuses ` +
        `${JSON.stringify(copies.map((c) => c.status))}, ${originals.length} original + ${replayed.length} replayed; ` +
        `versions ${JSON.stringify(state.versions)}, revisions ${state.revisions}, queue items ${state.queueItems}\n`,
    );
    expect(copies.map((copy) => copy.status)).toEqual(Array(10).fill(200));
    expect(originals).toHaveLength(1);
    expect(replayed).toHaveLength(9);
    const expected = withoutReplayed(originals[0].body.results);
    expect(expected.map((r) => [r.status, r.server_version])).toEqual([
      ['applied', 1],
      ['applied', 1],
    ]);
    for (const copy of copies) expect(withoutReplayed(copy.body.results)).toEqual(expected);
    expect(state).toEqual({ versions: [1, 1], revisions: 2, queueItems: 2 });
  });

  it('applies concurrent copies sent in different item orders once, without a deadlock (503)', async () => {
    const tenant = await t.createTenant();
    const statuses: number[] = [];
    const mutations = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const items = Array.from({ length: 50 }, () => pushItem());
      items.forEach((item) => mutations.add(item.client_mutation_id));
      const reversed = [...items].reverse();
      const copies = await Promise.all(
        Array.from({ length: 10 }, (_, n) => push(tenant, `tablet-${round}`, { items: n % 2 ? reversed : items })),
      );
      statuses.push(...copies.map((copy) => copy.status));
      const byMutation = (copy: CallResult): Record<string, PushResult> =>
        Object.fromEntries(withoutReplayed(copy.body.results ?? []).map((r) => [r.client_mutation_id, r]));
      for (const copy of copies) expect(byMutation(copy)).toEqual(byMutation(copies[0]));
    }
    const [row] = await t.db.query(
      `SELECT count(*)::int AS items, count(*) FILTER (WHERE status = 'processed')::int AS processed
         FROM sync_queue_item WHERE tenant_id = $1`,
      [tenant.id],
    );
    const [revisions] = await t.db.query(`SELECT count(*)::int AS n FROM sync_record_revision WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    process.stdout.write(
      `reordered duplicates: 5 rounds × 10 copies of a 50-item push, half reversed → statuses ` +
        `${JSON.stringify(statuses.reduce<Record<number, number>>((h, s) => ({ ...h, [s]: (h[s] ?? 0) + 1 }), {}))}; ` +
        `${row.items} queue items (${row.processed} processed), ${revisions.n} revisions for ${mutations.size} mutations\n`,
    );
    expect(statuses).toEqual(Array(50).fill(200));
    expect({ items: row.items, processed: row.processed, revisions: revisions.n }).toEqual({
      items: mutations.size,
      processed: mutations.size,
      revisions: mutations.size,
    });
  });

  it('rejects the same client_mutation_id with another payload (409) and changes nothing', async () => {
    const tenant = await t.createTenant();
    const item = pushItem();
    await push(tenant, 'phone', { items: [item] });
    const before = await recordState(t, tenant.id, [item.mobile_id]);
    const reused = await push(tenant, 'phone', { items: [{ ...item, data: { ...item.data, remarks: 'changed' } }] });
    const mixed = await push(tenant, 'phone', {
      items: [pushItem(), { ...item, priority: 'high' }],
    });
    const after = await recordState(t, tenant.id, [item.mobile_id]);
    process.stdout.write(
      `reused mutation ids: ${reused.status} ${reused.body.error?.code}, mixed push ${mixed.status}\n`,
    );
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('MUTATION_ID_REUSED');
    expect(mixed.status).toBe(409);
    expect(after).toEqual(before);
  });

  it('counts each mutation once in the sync events and the snapshot, however often it is replayed', async () => {
    const tenant = await t.createTenant();
    const task = randomUUID();
    const items = [pushItem({ mobile_id: task }), pushItem({ domain: 'ticket', data: ticketData() })];
    const edit = [pushItem({ mobile_id: task, base_version: 1, data: { jobstatus: 'DONE' } })];
    await push(tenant, 'phone', { items });
    for (let n = 0; n < 3; n++) await push(tenant, 'phone', { items });
    await Promise.all(Array.from({ length: 5 }, () => push(tenant, 'phone', { items: edit })));
    await push(tenant, 'phone', { items: [...edit, pushItem({ domain: 'journal', data: { title: 'new' } })] });
    const requests = 1 + 3 + 5 + 1;
    await eventsSettled(t, tenant.id, requests);

    const events: Array<{ items: number; success: boolean; domain_counts: Record<string, { items: number }> }> =
      await t.db.query(`SELECT items, success, domain_counts FROM sync_event WHERE tenant_id = $1 ORDER BY id`, [
        tenant.id,
      ]);
    const snapshot = await call(t, 'POST', '/api/sync/snapshot/create', {
      key: tenant.adminKey,
      body: { time_window_hours: 1 },
    });
    const [row] = await t.db.query(
      `SELECT total_items::int AS total_items, total_sync_requests::int AS requests, domain_breakdown
         FROM sync_analytics_snapshot WHERE tenant_id = $1 AND id = $2`,
      [tenant.id, snapshot.body.snapshot_id],
    );
    const mutations = items.length + edit.length + 1;
    const domainItems = Object.fromEntries(
      Object.entries(row.domain_breakdown as Record<string, { items: number }>).map(([domain, counts]) => [
        domain,
        counts.items,
      ]),
    );
    process.stdout.write(
      `analytics: ${requests} pushes carrying ${items.length * 4 + edit.length * 6 + 1} items, ${mutations} distinct ` +
        `mutations → sync_event items ${JSON.stringify(events.map((e) => e.items))}, snapshot total_items ` +
        `${row.total_items}, requests ${row.requests}, domain items ${JSON.stringify(domainItems)}\n`,
    );
    expect(events).toHaveLength(requests);
    expect(events.every((event) => event.success)).toBe(true);
    expect(events.reduce((sum, event) => sum + event.items, 0)).toBe(mutations);
    // The first push, one of the five concurrent edits, and the last push stored something; replays record 0 items.
    expect(events.filter((event) => event.items > 0)).toHaveLength(3);
    expect(row.total_items).toBe(mutations);
    expect(row.requests).toBe(requests);
    expect(domainItems).toEqual({ task: 2, ticket: 1, journal: 1 });
  });
});
