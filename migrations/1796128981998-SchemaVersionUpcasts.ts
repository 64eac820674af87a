import { MigrationInterface, QueryRunner } from 'typeorm';

/** Record shapes: the schema version a queued item was written in, and the upcast count of each sync event. */
export class SchemaVersionUpcasts1796128981998 implements MigrationInterface {
  name = 'SchemaVersionUpcasts1796128981998';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_event" ADD "upcast_items" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "sync_queue_item" ADD "schema_version" integer`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_queue_item" DROP COLUMN "schema_version"`);
    await queryRunner.query(`ALTER TABLE "sync_event" DROP COLUMN "upcast_items"`);
  }
}
