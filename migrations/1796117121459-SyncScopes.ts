import { MigrationInterface, QueryRunner } from 'typeorm';

export class SyncScopes1796117121459 implements MigrationInterface {
  name = 'SyncScopes1796117121459';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "directory_user" ("tenant_id" bigint NOT NULL, "user_id" text NOT NULL, "display_name" text, "active" boolean NOT NULL DEFAULT true, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_directory_user" PRIMARY KEY ("tenant_id", "user_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "directory_membership" ("tenant_id" bigint NOT NULL, "user_id" text NOT NULL, "group_name" text NOT NULL, "role" text NOT NULL, CONSTRAINT "ck_directory_membership_role" CHECK (role IN ('member', 'supervisor')), CONSTRAINT "pk_directory_membership" PRIMARY KEY ("tenant_id", "user_id", "group_name"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_directory_membership_group" ON "directory_membership"  ("tenant_id", "group_name", "role") `,
    );
    await queryRunner.query(
      `CREATE TABLE "record_scope" ("tenant_id" bigint NOT NULL, "domain" text NOT NULL, "mobile_id" uuid NOT NULL, "scope_key" text NOT NULL, "created_by" text, CONSTRAINT "pk_record_scope" PRIMARY KEY ("tenant_id", "domain", "mobile_id", "scope_key"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_record_scope_key" ON "record_scope"  ("tenant_id", "scope_key", "domain", "mobile_id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "scope_change" ("tenant_id" bigint NOT NULL, "scope_key" text NOT NULL, "change_seq" bigint NOT NULL, "domain" text NOT NULL, "mobile_id" uuid NOT NULL, "kind" text NOT NULL, "reason" text NOT NULL, CONSTRAINT "ck_scope_change_kind" CHECK (kind IN ('add', 'remove')), CONSTRAINT "pk_scope_change" PRIMARY KEY ("tenant_id", "scope_key", "change_seq"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "sync_rules" ("tenant_id" bigint NOT NULL, "version" integer NOT NULL, "rules" jsonb NOT NULL, "applied" boolean NOT NULL DEFAULT false, "progress" jsonb NOT NULL, "created_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_sync_rules" PRIMARY KEY ("tenant_id", "version"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory_user" ADD CONSTRAINT "fk_directory_user_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "directory_membership" ADD CONSTRAINT "fk_directory_membership_user" FOREIGN KEY ("tenant_id", "user_id") REFERENCES "directory_user"("tenant_id","user_id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "sync_rules" ADD CONSTRAINT "fk_sync_rules_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "sync_rules" DROP CONSTRAINT "fk_sync_rules_tenant"`);
    await queryRunner.query(`ALTER TABLE "directory_membership" DROP CONSTRAINT "fk_directory_membership_user"`);
    await queryRunner.query(`ALTER TABLE "directory_user" DROP CONSTRAINT "fk_directory_user_tenant"`);
    await queryRunner.query(`DROP TABLE "sync_rules"`);
    await queryRunner.query(`DROP TABLE "scope_change"`);
    await queryRunner.query(`DROP INDEX "public"."ix_record_scope_key"`);
    await queryRunner.query(`DROP TABLE "record_scope"`);
    await queryRunner.query(`DROP INDEX "public"."ix_directory_membership_group"`);
    await queryRunner.query(`DROP TABLE "directory_membership"`);
    await queryRunner.query(`DROP TABLE "directory_user"`);
  }
}
