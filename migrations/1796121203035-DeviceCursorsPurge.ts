import { MigrationInterface, QueryRunner } from 'typeorm';

export class DeviceCursorsPurge1796121203035 implements MigrationInterface {
  name = 'DeviceCursorsPurge1796121203035';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "sync_device_cursor" ("tenant_id" bigint NOT NULL, "user_id" text NOT NULL, "device_id" text NOT NULL, "cursor" bigint NOT NULL, "seen_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_sync_device_cursor" PRIMARY KEY ("tenant_id", "user_id", "device_id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_sync_device_cursor_seen" ON "sync_device_cursor"  ("tenant_id", "seen_at") `,
    );
    await queryRunner.query(
      `CREATE TABLE "sync_purge_horizon" ("tenant_id" bigint NOT NULL, "horizon" bigint NOT NULL, "purged_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_sync_purge_horizon" PRIMARY KEY ("tenant_id"))`,
    );
    // Written by hand (the entity marks it synchronize: false): the snapshot's order, open work first.
    await queryRunner.query(`CREATE INDEX "ix_sync_record_snapshot" ON "sync_record" ("tenant_id", (CASE
  WHEN domain = 'task' AND upper(data->>'jobstatus') NOT IN ('COMPLETED', 'AUTOCLOSED') THEN 1
  WHEN domain = 'ticket' AND upper(data->>'status') NOT IN ('CLOSED', 'CANCELLED') THEN 1
  WHEN domain = 'work_order' AND upper(coalesce(data->>'workstatus', data->>'status')) NOT IN ('CLOSED', 'CANCELLED')
    THEN 1
  ELSE 0 END), "change_seq") WHERE NOT deleted`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_sync_record_snapshot"`);
    await queryRunner.query(`DROP TABLE "sync_purge_horizon"`);
    await queryRunner.query(`DROP INDEX "public"."ix_sync_device_cursor_seen"`);
    await queryRunner.query(`DROP TABLE "sync_device_cursor"`);
  }
}
