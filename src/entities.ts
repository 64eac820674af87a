import { ConflictLogEntity } from './modules/conflict/entities/conflict-log.entity';
import { ConflictPolicyEntity } from './modules/conflict/entities/conflict-policy.entity';
import { SyncAlertEntity } from './modules/analytics/entities/sync-alert.entity';
import { SyncAnalyticsSnapshotEntity } from './modules/analytics/entities/sync-analytics-snapshot.entity';
import { SyncDeviceHealthEntity } from './modules/analytics/entities/sync-device-health.entity';
import { SyncEventEntity } from './modules/analytics/entities/sync-event.entity';
import { SyncReportEntity } from './modules/analytics/entities/sync-report.entity';
import { NotificationOutboxEntity } from './modules/notification/entities/notification-outbox.entity';
import { DirectoryMembershipEntity } from './modules/scope/entities/directory-membership.entity';
import { DirectoryUserEntity } from './modules/scope/entities/directory-user.entity';
import { RecordScopeEntity } from './modules/scope/entities/record-scope.entity';
import { ScopeChangeEntity } from './modules/scope/entities/scope-change.entity';
import { SyncRulesEntity } from './modules/scope/entities/sync-rules.entity';
import { InvariantSettingEntity } from './modules/record-shape/entities/invariant-setting.entity';
import { RecordSchemaVersionEntity } from './modules/record-shape/entities/record-schema-version.entity';
import { SyncQueueItemEntity } from './modules/queue/entities/sync-queue-item.entity';
import { SyncRecordRevisionEntity } from './modules/sync/entities/sync-record-revision.entity';
import { SyncRecordEntity } from './modules/sync/entities/sync-record.entity';
import { ApiKeyEntity } from './modules/tenant/entities/api-key.entity';
import { TenantEntity } from './modules/tenant/entities/tenant.entity';

/** Every TypeORM entity, listed once for the Nest module and the migration CLI. */
export const ENTITIES = [
  TenantEntity,
  ApiKeyEntity,
  SyncRecordEntity,
  SyncRecordRevisionEntity,
  SyncQueueItemEntity,
  NotificationOutboxEntity,
  ConflictPolicyEntity,
  ConflictLogEntity,
  SyncEventEntity,
  SyncDeviceHealthEntity,
  SyncAnalyticsSnapshotEntity,
  SyncAlertEntity,
  SyncReportEntity,
  DirectoryUserEntity,
  DirectoryMembershipEntity,
  SyncRulesEntity,
  RecordScopeEntity,
  ScopeChangeEntity,
  RecordSchemaVersionEntity,
  InvariantSettingEntity,
];
