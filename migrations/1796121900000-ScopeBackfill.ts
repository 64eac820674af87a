import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Records stored before scopes have no scope keys. This only queues their tenants: each gets rules version 1 (the
 * defaults as of this migration) not yet applied, and the background application (ScopeApplyService) computes the
 * keys in batches while the service runs. Tenants that already set rules keep them.
 */
const DEFAULT_RULES =
  '{"journal":{"users":["user"],"groups":[],"creator":true,"owner_groups":{"field":"privacy_scope","default":"private","roles":{"manager":"supervisor","team":"member","shared":"member"}},"supervisor_only":[]},"attendance":{"users":["people"],"groups":[{"field":"bu","group":"site","role":"supervisor"}],"creator":true,"owner_groups":null,"supervisor_only":[]},"task":{"users":["people"],"groups":[{"field":"pgroup","group":"group","role":"member"},{"field":"bu","group":"site","role":"supervisor"}],"creator":true,"owner_groups":null,"supervisor_only":[]},"ticket":{"users":["assignedtopeople","cuser"],"groups":[{"field":"assignedtogroup","group":"group","role":"member"},{"field":"bu","group":"site","role":"supervisor"}],"creator":true,"owner_groups":null,"supervisor_only":["assignedtopeople","assignedtogroup","escalation_level","escalated_at","escalated_by","is_escalated"]},"work_order":{"users":["people","approvers","verifiers"],"groups":[{"field":"bu","group":"site","role":"supervisor"}],"creator":true,"owner_groups":null,"supervisor_only":["people","bu","approvers","verifiers"]}}';

export class ScopeBackfill1796121900000 implements MigrationInterface {
  name = 'ScopeBackfill1796121900000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `INSERT INTO sync_rules (tenant_id, version, rules, applied, progress, created_by)
       SELECT t.id, 1, $1::jsonb, false, '{"records_done": 0, "records_total": null}'::jsonb, 'migration'
       FROM tenant t
       WHERE EXISTS (SELECT 1 FROM sync_record r WHERE r.tenant_id = t.id)
         AND NOT EXISTS (SELECT 1 FROM sync_rules s WHERE s.tenant_id = t.id)`,
      [DEFAULT_RULES],
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM sync_rules WHERE version = 1 AND created_by = 'migration'`);
  }
}
