import { MigrationInterface, QueryRunner } from 'typeorm';

/** As SCOPE_CHANGE_PARTITION_SIZE and SCOPE_CHANGE_PARTITIONS_AHEAD when this migration was written (kept on purpose). */
const BLOCK = 1_000_000n;
const AHEAD = 2n;

function blockName(from: bigint): string {
  return `scope_change_s${from.toString().padStart(19, '0')}`;
}

/**
 * scope_change becomes a table partitioned by range on change_seq, in blocks of 1,000,000 positions of the feed's
 * sequence (retention drops whole blocks below the purge horizon; pulls name a change_seq range, so they prune).
 * It gains changed_at (when the entry was written; the age a block must reach before it may go). Existing rows are
 * moved: the old table renamed, the partitioned one created LIKE it, one partition per block that holds rows plus
 * the sequence's current block and the next 2, a default partition, INSERT … SELECT (changed_at = the migration's
 * time: their age is unknown), the old table dropped.
 */
export class PartitionScopeChange1796140000000 implements MigrationInterface {
  name = 'PartitionScopeChange1796140000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scope_change" RENAME TO "scope_change_unpartitioned"`);
    await queryRunner.query(
      `ALTER TABLE "scope_change_unpartitioned" RENAME CONSTRAINT "pk_scope_change" TO "pk_scope_change_unpartitioned"`,
    );
    await queryRunner.query(
      `CREATE TABLE "scope_change" (LIKE "scope_change_unpartitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE ("change_seq")`,
    );
    await queryRunner.query(
      `ALTER TABLE "scope_change" ADD "changed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()`,
    );
    await queryRunner.query(
      `ALTER TABLE "scope_change" ADD CONSTRAINT "pk_scope_change" PRIMARY KEY ("tenant_id", "scope_key", "change_seq")`,
    );
    await queryRunner.query(`CREATE TABLE "scope_change_default" PARTITION OF "scope_change" DEFAULT`);

    const [seq] = (await queryRunner.query(
      `SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text AS seq FROM sync_change_seq`,
    )) as Array<{ seq: string }>;
    const current = (BigInt(seq.seq) / BLOCK) * BLOCK;
    const blocks = new Set<bigint>();
    for (let i = 0n; i <= AHEAD; i++) blocks.add(current + i * BLOCK);
    const stored = (await queryRunner.query(
      `SELECT DISTINCT ("change_seq" / ${BLOCK} * ${BLOCK})::text AS first FROM "scope_change_unpartitioned"`,
    )) as Array<{ first: string }>;
    for (const row of stored) blocks.add(BigInt(row.first));
    for (const from of [...blocks].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      await queryRunner.query(
        `CREATE TABLE "${blockName(from)}" PARTITION OF "scope_change" FOR VALUES FROM ('${from}') TO ('${from + BLOCK}')`,
      );
    }

    await queryRunner.query(`INSERT INTO "scope_change" SELECT o.*, now() FROM "scope_change_unpartitioned" o`);
    await queryRunner.query(`DROP TABLE "scope_change_unpartitioned"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "scope_change" RENAME TO "scope_change_partitioned"`);
    await queryRunner.query(
      `ALTER TABLE "scope_change_partitioned" RENAME CONSTRAINT "pk_scope_change" TO "pk_scope_change_partitioned"`,
    );
    await queryRunner.query(
      `CREATE TABLE "scope_change" (LIKE "scope_change_partitioned" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    await queryRunner.query(`ALTER TABLE "scope_change" DROP COLUMN "changed_at"`);
    await queryRunner.query(
      `ALTER TABLE "scope_change" ADD CONSTRAINT "pk_scope_change" PRIMARY KEY ("tenant_id", "scope_key", "change_seq")`,
    );
    await queryRunner.query(
      `INSERT INTO "scope_change" SELECT "tenant_id", "scope_key", "change_seq", "domain", "mobile_id", "kind", "reason" FROM "scope_change_partitioned"`,
    );
    await queryRunner.query(`DROP TABLE "scope_change_partitioned"`);
  }
}
