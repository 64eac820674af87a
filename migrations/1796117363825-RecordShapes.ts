import { MigrationInterface, QueryRunner } from 'typeorm';

export class RecordShapes1796117363825 implements MigrationInterface {
  name = 'RecordShapes1796117363825';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "invariant_setting" ("tenant_id" bigint NOT NULL, "name" text NOT NULL, "enabled" boolean NOT NULL, "updated_by" text, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_invariant_setting" PRIMARY KEY ("tenant_id", "name"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "record_schema_version" ("tenant_id" bigint NOT NULL, "domain" text NOT NULL, "version" integer NOT NULL, "json_schema" jsonb NOT NULL, "upcast" jsonb NOT NULL DEFAULT '[]', "created_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_record_schema_version_positive" CHECK ("version" >= 1), CONSTRAINT "pk_record_schema_version" PRIMARY KEY ("tenant_id", "domain", "version"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "invariant_setting" ADD CONSTRAINT "fk_invariant_setting_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "record_schema_version" ADD CONSTRAINT "fk_record_schema_version_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "record_schema_version" DROP CONSTRAINT "fk_record_schema_version_tenant"`);
    await queryRunner.query(`ALTER TABLE "invariant_setting" DROP CONSTRAINT "fk_invariant_setting_tenant"`);
    await queryRunner.query(`DROP TABLE "record_schema_version"`);
    await queryRunner.query(`DROP TABLE "invariant_setting"`);
  }
}
