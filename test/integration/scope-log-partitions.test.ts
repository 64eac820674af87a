import { randomUUID } from 'node:crypto';
import { blockName, listBlocks, SCOPE_CHANGE_PARTITIONS } from '../../src/database/seq-partitions';
import { RetentionService } from '../../src/modules/analytics/retention.service';
import { SyncPurgeService } from '../../src/modules/sync/sync-purge.service';
import { Phone } from '../helpers/phone';
import { writeScoped } from '../helpers/scoped-records';
import { call, startTestApp, TestApp, TestTenant } from '../helpers/test-app';

const BLOCK = 1_000_000;

/**
 * scope_change partitioned by blocks of change_seq (the migration's 1,000,000): the history purge drops a block only
 * below what every active device has pulled and once it is old enough, raising the purge horizon first, so a cursor
 * below it gets 410 and a pull from the start back-fills; the hourly task keeps blocks ahead and drains the default.
 */
describe('scope_change partitions', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let techKey: string;

  beforeAll(async () => {
    t = await startTestApp('scope_log_partitions');
    tenant = await t.createTenant();
    techKey = await tenant.syncKeyFor('tech-a');
    const put = await call(t, 'PUT', '/api/v1/users/tech-a', {
      key: tenant.adminKey,
      body: { memberships: [{ group: 'site:58', role: 'member' }] },
    });
    expect(put.status).toBe(200);
  });
  afterAll(() => t.close());

  const workOrder = (mobileId: string, version: number, title: string) => ({
    domain: 'work_order' as const,
    mobileId,
    version,
    data: { people: 'tech-a', bu: 58, title },
    userId: 'admin-user',
  });
  const blocks = async () => (await listBlocks(t.db, SCOPE_CHANGE_PARTITIONS)).map((b) => Number(b.from));
  /** Moves the feed's sequence to `seq` (every later change_seq lies above it). */
  const jumpTo = (seq: number) => t.db.query(`SELECT setval('sync_change_seq', $1)`, [seq]);
  const ageBlock = (from: number) =>
    t.db.query(`UPDATE ${blockName('scope_change', BigInt(from))} SET changed_at = now() - interval '10 days'`);
  const stale = (device: string) =>
    t.db.query(`UPDATE sync_device_cursor SET seen_at = now() - interval '40 days' WHERE device_id = $1`, [device]);
  const held = (phone: Phone) => [...phone.records.entries()].map(([id, r]) => `${id}:${r.version}`).sort();

  const first = randomUUID();
  const second = randomUUID();
  const third = randomUUID();

  it('drops a block below the horizon: 410 below it, a pull from the start back-fills the current records', async () => {
    expect(await blocks()).toEqual([0, BLOCK, 2 * BLOCK]);
    await writeScoped(t, tenant.id, [workOrder(first, 1, 'one'), workOrder(second, 1, 'two')]);
    const old = new Phone(t, techKey, 'old-phone');
    expect(await old.pullAll()).toBe(200);
    expect(await old.pullAll()).toBe(200);
    const oldCursor = old.cursor;

    await jumpTo(BLOCK + 10);
    await writeScoped(t, tenant.id, [workOrder(first, 2, 'one, edited'), workOrder(third, 1, 'three')]);
    const current = new Phone(t, techKey, 'current-phone');
    expect(await current.pullAll()).toBe(200);
    expect(await current.pullAll()).toBe(200);

    // Young: nothing goes.
    expect((await t.app.get(SyncPurgeService).runPurge())!.scopeLogPartitions).toBe(0);
    await ageBlock(0);
    // old-phone stands below the block's end but is not active any more: it holds nothing back.
    await stale('old-phone');
    const outcome = (await t.app.get(SyncPurgeService).runPurge())!;
    expect(outcome.scopeLogPartitions).toBe(1);
    expect(outcome.horizons[tenant.id]).toBe(String(BLOCK - 1));
    expect(await blocks()).toEqual([BLOCK, 2 * BLOCK]);

    old.cursor = oldCursor;
    const gone = await old.pullPage();
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('RESYNC_REQUIRED');

    // From the start, one record a page: the log below the horizon is gone, the records come from record_scope.
    const fresh = new Phone(t, techKey, 'fresh-phone');
    expect(await fresh.pullAll(1)).toBe(200);
    expect(held(fresh)).toEqual(held(current));
    expect(held(fresh)).toEqual([`work_order:${first}:2`, `work_order:${second}:1`, `work_order:${third}:1`].sort());
    // and the log goes on from there
    await writeScoped(t, tenant.id, [workOrder(second, 2, 'two, edited')]);
    expect(await fresh.pullAll(1)).toBe(200);
    expect(held(fresh)).toContain(`work_order:${second}:2`);
    expect(fresh.received.filter((r) => r.startsWith(`work_order:${second}:2`))).toHaveLength(1);
  });

  it('keeps a block an active device has not pulled past, and drops it once it has', async () => {
    const lagging = new Phone(t, techKey, 'lagging-phone');
    expect(await lagging.pullAll()).toBe(200);
    expect(await lagging.pullAll()).toBe(200);
    await jumpTo(2 * BLOCK + 10);
    await writeScoped(t, tenant.id, [workOrder(third, 2, 'three, edited')]);
    const current = new Phone(t, techKey, 'current-phone-2');
    expect(await current.pullAll()).toBe(200);
    expect(await current.pullAll()).toBe(200);
    await ageBlock(BLOCK);

    expect((await t.app.get(SyncPurgeService).runPurge())!.scopeLogPartitions).toBe(0);
    expect(await blocks()).toContain(BLOCK);
    expect(await lagging.pullAll()).toBe(200);
    expect(await lagging.pullAll()).toBe(200);
    expect(lagging.records.get(`work_order:${third}`)?.version).toBe(2);
    await stale('fresh-phone');
    await stale('current-phone');

    expect((await t.app.get(SyncPurgeService).runPurge())!.scopeLogPartitions).toBe(1);
    expect(await blocks()).not.toContain(BLOCK);
    expect(await lagging.pullAll()).toBe(200);
  });

  it('keeps blocks ahead of the sequence and moves rows that landed in the default partition', async () => {
    // The sequence stands in block 2: blocks 3 and 4 are the two ahead, created once.
    const name = (i: number) => blockName('scope_change', BigInt(i * BLOCK));
    expect(await t.app.get(RetentionService).ensureScopeLogPartitions()).toEqual([name(3), name(4)]);
    expect(await t.app.get(RetentionService).ensureScopeLogPartitions()).toEqual([]);
    // The sequence outruns the blocks: the next entries land in the default partition.
    await jumpTo(5 * BLOCK + 10);
    const late = randomUUID();
    await writeScoped(t, tenant.id, [workOrder(late, 1, 'late')]);
    const inDefault = await t.db.query(`SELECT count(*)::int AS n FROM scope_change_default WHERE mobile_id = $1`, [
      late,
    ]);
    expect(inDefault[0].n).toBeGreaterThan(0);

    const created = await t.app.get(RetentionService).ensureScopeLogPartitions();
    expect(created).toEqual([name(5), name(6), name(7)]);
    expect((await t.db.query(`SELECT count(*)::int AS n FROM scope_change_default`))[0].n).toBe(0);
    const placed = await t.db.query(`SELECT tableoid::regclass::text AS part FROM scope_change WHERE mobile_id = $1`, [
      late,
    ]);
    expect(new Set(placed.map((row: { part: string }) => row.part))).toEqual(new Set([name(5)]));
    const phone = new Phone(t, techKey, 'lagging-phone');
    phone.cursor = null;
    expect(await phone.pullAll()).toBe(200);
    expect(phone.records.has(`work_order:${late}`)).toBe(true);
  });
});
