import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { RecordWrite, SyncRecordRepository } from '../../src/modules/sync/sync-record.repository';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';
import { describeWithPostgres, directServerUrl } from '../helpers/test-database';
import { pushItem, taskData } from '../factories/records';

const ALL_BYTES = Number.MAX_SAFE_INTEGER;

describeWithPostgres('changes feed while many rows change at once (PostgreSQL)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp('pull_feed');
    tenant = await t.createTenant();
  });
  afterAll(() => t.close());

  it('never skips a change: a reader paging during concurrent writers sees every final version', async () => {
    const writers = [...Array(8)].map((_, w) => `writer-${w}`);
    const created: string[] = [];
    let writing = true;
    const write = async (device: string): Promise<void> => {
      for (let round = 0; round < 10; round++) {
        const items = [...Array(20)].map(() => pushItem({ data: taskData({ device, round }) }));
        created.push(...items.map((i) => i.mobile_id));
        const result = await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device, body: { items } });
        expect(result.status).toBe(200);
      }
    };
    const seen = new Map<string, number>();
    let cursor: string | null = null;
    let pages = 0;
    const readPage = async (): Promise<boolean> => {
      const query: string = `?limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await call(t, 'GET', `/api/v1/sync/pull${query}`, { key: tenant.syncKey, device: 'reader' });
      expect(page.status).toBe(200);
      pages += 1;
      for (const change of page.body.changes) {
        expect(seen.has(change.mobile_id)).toBe(false);
        seen.set(change.mobile_id, change.version);
      }
      cursor = page.body.next_cursor;
      return page.body.has_more;
    };
    const reader = (async () => {
      while (writing) {
        if (!(await readPage())) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      while (await readPage());
    })();
    await Promise.all(writers.map(write));
    writing = false;
    await reader;
    process.stdout.write(
      `feed: ${created.length} records written by ${writers.length} concurrent writers, read in ${pages} pages of 7\n`,
    );
    expect(seen.size).toBe(created.length);
    for (const id of created) expect(seen.get(id)).toBe(1);
  });

  it('holds back a later change until an earlier-numbered one commits', async () => {
    const records = t.app.get(SyncRecordRepository);
    const write = (data: Record<string, unknown>): RecordWrite => ({
      domain: 'task',
      mobileId: randomUUID(),
      version: 1,
      data,
      deleted: false,
      clientUpdatedAt: null,
      userId: null,
      deviceId: 'd',
      clientMutationId: null,
      origin: 'push',
    });
    const start = (await records.changesAfter(t.db, tenant.id, '0', null, 100000, ALL_BYTES)).rows;
    const cursor = start.length ? start[start.length - 1].change_seq : '0';

    const slow = t.db.createQueryRunner();
    await slow.startTransaction();
    const [first] = await records.write(slow.manager, tenant.id, [write({ n: 'first' })]);
    const second = t.db.transaction((manager) => records.write(manager, tenant.id, [write({ n: 'second' })]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const early = (await records.changesAfter(t.db, tenant.id, cursor, null, 100, ALL_BYTES)).rows;
    await slow.commitTransaction();
    await slow.release();
    const [secondRow] = await second;
    const after = early.length ? early[early.length - 1].change_seq : cursor;
    const late = (await records.changesAfter(t.db, tenant.id, after, null, 100, ALL_BYTES)).rows;
    const seen = [...early, ...late].map((row) => row.change_seq);
    expect(seen).toEqual(expect.arrayContaining([first.change_seq, secondRow.change_seq]));
    expect(BigInt(first.change_seq)).toBeLessThan(BigInt(secondRow.change_seq));
  });

  it('is not held back by a writer of another database whose tenant has the same id', async () => {
    const records = t.app.get(SyncRecordRepository);
    await call(t, 'POST', '/api/v1/sync/push', { key: tenant.syncKey, device: 'd', body: { items: [pushItem()] } });
    const all = (await records.changesAfter(t.db, tenant.id, '0', null, 100000, ALL_BYTES)).rows;
    // Another database on the server (another suite, another service): a writer of its tenant with this id, in
    // flight with a mark below every change here. Advisory keys are per database, so it holds nothing back here.
    const other = new Client({ connectionString: directServerUrl() });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        `SELECT pg_advisory_xact_lock_shared(hashtextextended('feed:' || $1, 0)), pg_advisory_xact_lock_shared(0, 0)`,
        [tenant.id],
      );
      const page = (await records.changesAfter(t.db, tenant.id, '0', null, 100000, ALL_BYTES)).rows;
      expect(page.map((row) => row.change_seq)).toEqual(all.map((row) => row.change_seq));
      expect(page.length).toBeGreaterThan(0);
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
  });
});
