import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Queryable } from '../../database/sql';
import { InvariantName, isInvariantName } from './invariant.policy';
import { RecordSchemaVersionRepository, SchemaVersionRow } from './record-schema-version.repository';
import { schemaFields, VersionShape } from './upcast.policy';

/** Other replicas see a PUT within this time; the replica that took the PUT sees it at once. */
export const SHAPE_CACHE_TTL_MS = 30_000;
const MAX_TENANTS = 10_000;

export interface DomainShapes {
  domain: string;
  /** The newest version: records are validated against it and stored in its shape. */
  current: SchemaVersionRow;
  /** Every version, oldest first. */
  versions: VersionShape[];
}

/** A tenant's record schemas and invariant switches, as one batch needs them. */
export interface TenantShapes {
  domains: ReadonlyMap<string, DomainShapes>;
  disabled: ReadonlySet<InvariantName>;
}

export function tenantShapes(rows: readonly SchemaVersionRow[], disabled: Iterable<InvariantName>): TenantShapes {
  const domains = new Map<string, DomainShapes>();
  for (const row of [...rows].sort((a, b) => a.version - b.version)) {
    const shape: VersionShape = { version: row.version, upcast: row.upcast, fields: schemaFields(row.json_schema) };
    const existing = domains.get(row.domain);
    if (existing) {
      existing.current = row;
      existing.versions.push(shape);
    } else {
      domains.set(row.domain, { domain: row.domain, current: row, versions: [shape] });
    }
  }
  return { domains, disabled: new Set(disabled) };
}

/** Loads a tenant's shapes once (one statement) and keeps them until a PUT invalidates them or they age out. */
@Injectable()
export class RecordShapeCatalog {
  private readonly cache = new Map<string, { shapes: TenantShapes; loadedAt: number }>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly schemas: RecordSchemaVersionRepository,
  ) {}

  async forTenant(tenantId: string, db: Queryable = this.db, now = Date.now()): Promise<TenantShapes> {
    const cached = this.cache.get(tenantId);
    if (cached && now - cached.loadedAt < SHAPE_CACHE_TTL_MS) return cached.shapes;
    const { rows, disabled } = await this.schemas.shapesOf(db, tenantId);
    const shapes = tenantShapes(rows, disabled.filter(isInvariantName));
    this.cache.delete(tenantId);
    this.cache.set(tenantId, { shapes, loadedAt: now });
    if (this.cache.size > MAX_TENANTS) this.cache.delete(this.cache.keys().next().value!);
    return shapes;
  }

  invalidate(tenantId: string): void {
    this.cache.delete(tenantId);
  }
}
