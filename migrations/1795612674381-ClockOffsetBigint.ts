import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device clock offsets in milliseconds outgrew integer (±24.8 days): a device whose clock is further off, e.g. reset
 * to 1970, had every push rejected. Generated, then DROP/ADD turned into ALTER ... TYPE to keep the values.
 */
export class ClockOffsetBigint1795612674381 implements MigrationInterface {
  name = 'ClockOffsetBigint1795612674381';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_device_health" ALTER COLUMN "clock_offset_ms" TYPE bigint`);
    await queryRunner.query(`ALTER TABLE "sync_queue_item" ALTER COLUMN "clock_offset_ms" TYPE bigint`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['sync_queue_item', 'sync_device_health']) {
      await queryRunner.query(
        `ALTER TABLE "${table}" ALTER COLUMN "clock_offset_ms" TYPE integer
           USING greatest(least("clock_offset_ms", 2147483647), -2147483648)::integer`,
      );
    }
  }
}
