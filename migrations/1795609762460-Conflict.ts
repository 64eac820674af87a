import { MigrationInterface, QueryRunner } from 'typeorm';

export class Conflict1795609762460 implements MigrationInterface {
  name = 'Conflict1795609762460';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "conflict_log" ("tenant_id" bigint NOT NULL, "id" uuid NOT NULL, "domain" text NOT NULL, "mobile_id" uuid, "device_id" text, "user_id" text, "server_version" integer, "client_version" integer, "base_version" integer, "resolution_strategy" text NOT NULL, "resolution_result" text NOT NULL, "winning_version" text NOT NULL, "merge_details" jsonb NOT NULL, "server_entry" jsonb NOT NULL, "client_entry" jsonb NOT NULL, "base_entry" jsonb, "result_entry" jsonb, "source" text NOT NULL, "queue_item_id" bigint, "client_mutation_id" text, "resolved_by" text, "resolved_at" TIMESTAMP WITH TIME ZONE, "restored_by" text, "restored_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_conflict_log" PRIMARY KEY ("tenant_id", "id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_conflict_log_pending_review" ON "conflict_log"  ("tenant_id", "created_at") WHERE resolution_result = 'manual_required' AND resolved_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_conflict_log_domain_created" ON "conflict_log"  ("tenant_id", "domain", "created_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_conflict_log_created" ON "conflict_log"  ("tenant_id", "created_at", "id") `,
    );
    await queryRunner.query(
      `CREATE TABLE "conflict_policy" ("tenant_id" bigint NOT NULL, "domain" text NOT NULL, "resolution_policy" text NOT NULL, "auto_resolve" boolean NOT NULL, "notify_on_conflict" boolean NOT NULL, "protected_fields" text array, "created_by" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_conflict_policy" PRIMARY KEY ("tenant_id", "domain"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "conflict_policy" ADD CONSTRAINT "fk_conflict_policy_tenant" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "conflict_policy" DROP CONSTRAINT "fk_conflict_policy_tenant"`);
    await queryRunner.query(`DROP TABLE "conflict_policy"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conflict_log_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conflict_log_domain_created"`);
    await queryRunner.query(`DROP INDEX "public"."ix_conflict_log_pending_review"`);
    await queryRunner.query(`DROP TABLE "conflict_log"`);
  }
}
