import { MigrationInterface, QueryRunner } from 'typeorm';

const DAY_MS = 86_400_000;
/** As SYNC_EVENT_RETENTION_DAYS and PARTITION_DAYS_AHEAD when this migration was written (kept here on purpose). */
const RETENTION_DAYS = 90;
const DAYS_AHEAD = 7;

function dayName(day: number): string {
  return `sync_event_p${new Date(day).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/**
 * sync_event becomes a table partitioned by day on occurred_at (retention drops whole partitions). Existing rows are
 * moved: the old table is renamed, the partitioned one created LIKE it (every column, whatever later migrations
 * added), one partition per UTC day that holds rows inside the retention window plus today and the next 7 days,
 * older rows into the default partition (retention deletes them there), then INSERT … SELECT and the old table
 * dropped. The primary key carries the partition key: (tenant_id, id, occurred_at).
 */
export class PartitionSyncEvent1796130000000 implements MigrationInterface {
  name = 'PartitionSyncEvent1796130000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_event" RENAME TO "sync_event_unpartitioned"`);
    await queryRunner.query(
      `ALTER TABLE "sync_event_unpartitioned" RENAME CONSTRAINT "pk_sync_event" TO "pk_sync_event_unpartitioned"`,
    );
    await queryRunner.query(`ALTER INDEX "ix_sync_event_occurred" RENAME TO "ix_sync_event_unpartitioned_occurred"`);
    await queryRunner.query(
      `CREATE TABLE "sync_event" (LIKE "sync_event_unpartitioned" INCLUDING DEFAULTS INCLUDING IDENTITY) PARTITION BY RANGE ("occurred_at")`,
    );
    await queryRunner.query(
      `ALTER TABLE "sync_event" ADD CONSTRAINT "pk_sync_event" PRIMARY KEY ("tenant_id", "id", "occurred_at")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_sync_event_occurred" ON "sync_event" ("tenant_id", "occurred_at")`);
    await queryRunner.query(`CREATE TABLE "sync_event_default" PARTITION OF "sync_event" DEFAULT`);

    const now = Date.now();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const days = new Set<number>();
    for (let i = 0; i <= DAYS_AHEAD; i++) days.add(today + i * DAY_MS);
    const stored = (await queryRunner.query(
      `SELECT DISTINCT date_trunc('day', "occurred_at" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day
         FROM "sync_event_unpartitioned" WHERE "occurred_at" >= $1`,
      [new Date(today - RETENTION_DAYS * DAY_MS).toISOString()],
    )) as Array<{ day: Date }>;
    for (const row of stored) days.add(new Date(row.day).getTime());
    for (const day of [...days].sort((a, b) => a - b)) {
      await queryRunner.query(
        `CREATE TABLE "${dayName(day)}" PARTITION OF "sync_event" FOR VALUES FROM ('${new Date(day).toISOString()}') TO ('${new Date(day + DAY_MS).toISOString()}')`,
      );
    }

    await queryRunner.query(`INSERT INTO "sync_event" SELECT * FROM "sync_event_unpartitioned"`);
    await queryRunner.query(
      `SELECT setval(pg_get_serial_sequence('"sync_event"', 'id'), (SELECT COALESCE(max("id"), 0) + 1 FROM "sync_event_unpartitioned"), false)`,
    );
    await queryRunner.query(`DROP TABLE "sync_event_unpartitioned"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_event" RENAME TO "sync_event_partitioned"`);
    await queryRunner.query(
      `ALTER TABLE "sync_event_partitioned" RENAME CONSTRAINT "pk_sync_event" TO "pk_sync_event_partitioned"`,
    );
    await queryRunner.query(`ALTER INDEX "ix_sync_event_occurred" RENAME TO "ix_sync_event_partitioned_occurred"`);
    await queryRunner.query(
      `CREATE TABLE "sync_event" (LIKE "sync_event_partitioned" INCLUDING DEFAULTS INCLUDING IDENTITY)`,
    );
    await queryRunner.query(`ALTER TABLE "sync_event" ADD CONSTRAINT "pk_sync_event" PRIMARY KEY ("tenant_id", "id")`);
    await queryRunner.query(`CREATE INDEX "ix_sync_event_occurred" ON "sync_event" ("tenant_id", "occurred_at")`);
    await queryRunner.query(`INSERT INTO "sync_event" SELECT * FROM "sync_event_partitioned"`);
    await queryRunner.query(
      `SELECT setval(pg_get_serial_sequence('"sync_event"', 'id'), (SELECT COALESCE(max("id"), 0) + 1 FROM "sync_event_partitioned"), false)`,
    );
    await queryRunner.query(`DROP TABLE "sync_event_partitioned"`);
  }
}
