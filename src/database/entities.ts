import { ApiKeyEntity } from '../modules/tenant/entities/api-key.entity';
import { TenantEntity } from '../modules/tenant/entities/tenant.entity';

/** Every TypeORM entity, listed once for the Nest module and the migration CLI. */
export const ENTITIES = [TenantEntity, ApiKeyEntity];
