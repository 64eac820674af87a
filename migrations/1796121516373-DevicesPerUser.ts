import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A device id is its user's: queue mutation ids are unique per (tenant, user, device) and device health is kept per
 * (tenant, user, device). Generated; the data step for existing health rows without a user and the partial
 * predicate of uq_sync_queue_item_mutation (which the generator does not compare) were added by hand.
 */
export class DevicesPerUser1796121516373 implements MigrationInterface {
  name = 'DevicesPerUser1796121516373';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "sync_device_health" SET "user_id" = '' WHERE "user_id" IS NULL`);
    await queryRunner.query(`ALTER TABLE "sync_device_health" DROP CONSTRAINT "pk_sync_device_health"`);
    await queryRunner.query(
      `ALTER TABLE "sync_device_health" ADD CONSTRAINT "pk_sync_device_health" PRIMARY KEY ("tenant_id", "user_id", "device_id")`,
    );
    await queryRunner.query(`ALTER TABLE "sync_device_health" ALTER COLUMN "user_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "sync_device_health" ALTER COLUMN "user_id" SET DEFAULT ''`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_sync_queue_item_user_mutation" ON "sync_queue_item"  ("tenant_id", "user_id", "device_id", "client_mutation_id") WHERE user_id IS NOT NULL`,
    );
    await queryRunner.query(`DROP INDEX "public"."uq_sync_queue_item_mutation"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_sync_queue_item_mutation" ON "sync_queue_item"  ("tenant_id", "device_id", "client_mutation_id") WHERE user_id IS NULL`,
    );
  }

  /** Fails when two users used one device id with the same mutation id (the old key cannot hold both). */
  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_sync_queue_item_mutation"`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_sync_queue_item_mutation" ON "sync_queue_item"  ("tenant_id", "device_id", "client_mutation_id") `,
    );
    await queryRunner.query(`DROP INDEX "public"."uq_sync_queue_item_user_mutation"`);
    await queryRunner.query(`ALTER TABLE "sync_device_health" ALTER COLUMN "user_id" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "sync_device_health" DROP CONSTRAINT "pk_sync_device_health"`);
    await queryRunner.query(`ALTER TABLE "sync_device_health" ALTER COLUMN "user_id" DROP NOT NULL`);
    // One row per device again: the latest synced user's.
    await queryRunner.query(
      `DELETE FROM "sync_device_health" h USING "sync_device_health" o
       WHERE o.tenant_id = h.tenant_id AND o.device_id = h.device_id
         AND (o.last_sync_at, o.user_id) > (h.last_sync_at, h.user_id)`,
    );
    await queryRunner.query(`UPDATE "sync_device_health" SET "user_id" = NULL WHERE "user_id" = ''`);
    await queryRunner.query(
      `ALTER TABLE "sync_device_health" ADD CONSTRAINT "pk_sync_device_health" PRIMARY KEY ("tenant_id", "device_id")`,
    );
  }
}
