import { DataSource } from 'typeorm';
import { AppConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrations.service';
import { ENTITIES } from '../../src/entities';
import { MIGRATIONS } from '../../migrations';
import { createTestDatabase, TestDatabase } from '../helpers/test-database';

describe('migrations', () => {
  let database: TestDatabase;
  let db: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('migrations');
    const config = AppConfig.fromEnv({}, { DATABASE_URL: database.directUrl });
    db = await new DataSource(dataSourceOptions(config, ENTITIES, null)).initialize();
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  async function pendingSchemaChanges(): Promise<string[]> {
    const log = await db.driver.createSchemaBuilder().log();
    return log.upQueries.map((query) => query.query);
  }

  it('applies every migration and leaves no drift from the entities', async () => {
    const applied = await runMigrations(db, database.url === undefined);
    expect(applied).toHaveLength(MIGRATIONS.length);
    expect(await pendingSchemaChanges()).toEqual([]);
  });

  it('reverts every migration with down() and applies them again', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await db.undoLastMigration({ transaction: 'each' });
    const tables = await db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
    );
    expect(tables).toEqual([]);
    await runMigrations(db, database.url === undefined);
    expect(await pendingSchemaChanges()).toEqual([]);
  });

  it('moves the rows of an unpartitioned sync_event into daily partitions', async () => {
    // PartitionScopeChange, then PartitionSyncEvent
    await db.undoLastMigration({ transaction: 'each' });
    await db.undoLastMigration({ transaction: 'each' });
    const kind = await db.query(`SELECT relkind FROM pg_class WHERE relname = 'sync_event'`);
    expect(kind).toEqual([{ relkind: 'r' }]);
    const daysAgo = [0, 1, 1, 30, 89, 200];
    for (const ago of daysAgo) {
      await db.query(
        `INSERT INTO sync_event (tenant_id, occurred_at, kind, success, duration_ms)
         VALUES (7, now() - make_interval(days => $1), 'push', true, 1)`,
        [ago],
      );
    }
    const before = await db.query(`SELECT id, occurred_at FROM sync_event ORDER BY id`);
    await runMigrations(db, database.url === undefined);
    expect(await db.query(`SELECT relkind FROM pg_class WHERE relname = 'sync_event'`)).toEqual([{ relkind: 'p' }]);
    expect(await db.query(`SELECT id, occurred_at FROM sync_event ORDER BY id`)).toEqual(before);
    const placed: Array<{ partition: string; n: number }> = await db.query(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM sync_event GROUP BY 1 ORDER BY 1`,
    );
    // the 200-day-old row lies outside the retention: the default partition holds it until retention deletes it
    expect(placed.find((row) => row.partition === 'sync_event_default')?.n).toBe(1);
    expect(
      placed
        .filter((row) => row.partition !== 'sync_event_default')
        .map((row) => row.n)
        .sort(),
    ).toEqual([1, 1, 1, 2]);
    const next = await db.query(
      `INSERT INTO sync_event (tenant_id, kind, success, duration_ms) VALUES (7, 'push', true, 1) RETURNING id`,
    );
    expect(Number(next[0].id)).toBeGreaterThan(Math.max(...before.map((row: { id: string }) => Number(row.id))));
    expect(await pendingSchemaChanges()).toEqual([]);
  });

  it('moves the rows of an unpartitioned scope_change into blocks of change_seq', async () => {
    await db.undoLastMigration({ transaction: 'each' });
    expect(await db.query(`SELECT relkind FROM pg_class WHERE relname = 'scope_change'`)).toEqual([{ relkind: 'r' }]);
    // Entries at three positions of the sequence, two of them a block apart.
    await db.query(`SELECT setval('sync_change_seq', 1999990)`);
    for (const key of ['u:a', 'u:b']) {
      await db.query(
        `INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
         VALUES (7, $1, nextval('sync_change_seq'), 'task', gen_random_uuid(), 'add', 'changed')`,
        [key],
      );
    }
    await db.query(
      `INSERT INTO scope_change (tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason)
       VALUES (7, 'u:a', 12, 'task', gen_random_uuid(), 'remove', 'access_revoked')`,
    );
    const columns = 'tenant_id, scope_key, change_seq, domain, mobile_id, kind, reason';
    const before = await db.query(`SELECT ${columns} FROM scope_change ORDER BY change_seq`);
    await runMigrations(db, database.url === undefined);
    expect(await db.query(`SELECT relkind FROM pg_class WHERE relname = 'scope_change'`)).toEqual([{ relkind: 'p' }]);
    expect(await db.query(`SELECT ${columns} FROM scope_change ORDER BY change_seq`)).toEqual(before);
    const placed: Array<{ partition: string; n: number }> = await db.query(
      `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM scope_change GROUP BY 1 ORDER BY 1`,
    );
    expect(placed).toEqual([
      { partition: 'scope_change_s0000000000000000000', n: 1 },
      { partition: 'scope_change_s0000000000001000000', n: 2 },
    ]);
    const blocks: Array<{ name: string }> = await db.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'scope_change'::regclass ORDER BY 1`,
    );
    // the blocks holding rows, the sequence's block (1,000,000) and the 2 ahead, and the default partition
    expect(blocks.map((b) => b.name)).toEqual([
      'scope_change_default',
      'scope_change_s0000000000000000000',
      'scope_change_s0000000000001000000',
      'scope_change_s0000000000002000000',
      'scope_change_s0000000000003000000',
    ]);
    const aged = await db.query(`SELECT count(*)::int AS n FROM scope_change WHERE changed_at <= now()`);
    expect(aged[0].n).toBe(3);
    expect(await pendingSchemaChanges()).toEqual([]);
  });
});
