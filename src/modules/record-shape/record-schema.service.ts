import { isDeepStrictEqual } from 'node:util';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DOMAINS } from '../../common/domain';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { RecordSchemaVersionRepository, SchemaVersionRow } from './record-schema-version.repository';
import { RecordShapeCatalog } from './record-shape.catalog';
import { checkStepFields, parsePutSchemaRequest, PutSchemaRequest } from './schema-request.policy';
import { SchemaValidatorCache } from './schema-validator';
import { PointerError, schemaFields } from './upcast.policy';

export interface DomainSchemaHistory {
  domain: string;
  current: SchemaVersionRow;
  /** Every version, newest first (current included). */
  history: SchemaVersionRow[];
}

export interface DomainSchemaSummary {
  domain: string;
  current_version: number | null;
  updated_at: Date | null;
}

export function requireDomain(domain: string): string {
  if (!(DOMAINS as readonly string[]).includes(domain)) {
    throw AppException.validation(`unknown domain "${domain}"; one of ${DOMAINS.join(', ')}`);
  }
  return domain;
}

function invalid(message: string, errors: PointerError[]): AppException {
  return AppException.validation(`${message}: ${errors[0].pointer} ${errors[0].message}`, errors);
}

/** The request body checked, or a 400 naming every JSON pointer that is wrong. */
export function requirePutSchemaRequest(body: unknown): PutSchemaRequest {
  const parsed = parsePutSchemaRequest(body);
  if ('errors' in parsed) throw invalid('invalid schema request', parsed.errors);
  return parsed.value;
}

/** A tenant's versioned record schemas: the admin side (PUT, history). */
@Injectable()
export class RecordSchemaService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly schemas: RecordSchemaVersionRepository,
    private readonly catalog: RecordShapeCatalog,
    private readonly validators: SchemaValidatorCache,
  ) {}

  /**
   * Stores the next version of a domain's schema: versions go up by one, the schema must compile, every step must
   * name a field that is there. Sending the current version again unchanged is a no-op (a retried PUT).
   */
  async putSchema(
    tenantId: string,
    domain: string,
    request: PutSchemaRequest,
    createdBy: string | null,
  ): Promise<SchemaVersionRow> {
    requireDomain(domain);
    const versions = await this.versionsOf(tenantId, domain);
    const current = versions.at(-1);
    if (
      current?.version === request.version &&
      isDeepStrictEqual(current.json_schema, request.json_schema) &&
      isDeepStrictEqual(current.upcast, request.upcast)
    ) {
      return current;
    }
    const expected = (current?.version ?? 0) + 1;
    if (request.version !== expected) throw this.versionConflict(domain, expected);
    const errors = [
      ...this.validators.check(request.json_schema).map((e) => ({ ...e, pointer: `/json_schema${e.pointer}` })),
      ...checkStepFields(
        request.upcast,
        current ? schemaFields(current.json_schema) : null,
        schemaFields(request.json_schema),
      ),
    ];
    if (errors.length > 0) throw invalid('invalid schema version', errors);
    const row = await this.schemas.insert(this.db, tenantId, { domain, ...request, created_by: createdBy });
    if (!row) throw this.versionConflict(domain, expected + 1);
    this.catalog.invalidate(tenantId);
    return row;
  }

  async history(tenantId: string, domain: string): Promise<DomainSchemaHistory> {
    requireDomain(domain);
    const versions = await this.versionsOf(tenantId, domain);
    const current = versions.at(-1);
    if (!current) throw AppException.notFound(`schema of ${domain}`);
    return { domain, current, history: [...versions].reverse() };
  }

  /** Every domain with its current version (null: records of the domain are not validated). */
  async list(tenantId: string): Promise<DomainSchemaSummary[]> {
    const rows = await this.schemas.listForTenant(this.db, tenantId);
    return DOMAINS.map((domain) => {
      const current = rows.filter((row) => row.domain === domain).at(-1);
      return { domain, current_version: current?.version ?? null, updated_at: current?.created_at ?? null };
    });
  }

  private async versionsOf(tenantId: string, domain: string): Promise<SchemaVersionRow[]> {
    return (await this.schemas.listForTenant(this.db, tenantId)).filter((row) => row.domain === domain);
  }

  private versionConflict(domain: string, expected: number): AppException {
    return new AppException(ErrorCode.Conflict, `the next schema version of ${domain} is ${expected}`, [
      { pointer: '/version', message: `must be ${expected}` },
    ]);
  }
}
