import { ApiProperty } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { DOMAINS } from '../../../common/domain';
import { toOpenApiSchema } from '../../../common/json-schema';
import type { InvariantState } from '../invariant.service';
import { INVARIANTS } from '../invariant.policy';
import type { SchemaVersionRow } from '../record-schema-version.repository';
import type { DomainSchemaHistory, DomainSchemaSummary } from '../record-schema.service';
import { PUT_SCHEMA_REQUEST_SCHEMA, UPCAST_STEP_SCHEMA } from '../schema-request.policy';
import type { UpcastStep } from '../upcast.policy';

/** The documented upcast steps: the PUT body's step schema. */
export const UPCAST_STEPS_OPENAPI_SCHEMA = { type: 'array' as const, items: toOpenApiSchema(UPCAST_STEP_SCHEMA) };

/** The documented PUT body: the schema parsePutSchemaRequest checks. */
export const PUT_SCHEMA_REQUEST_OPENAPI_SCHEMA = toOpenApiSchema(PUT_SCHEMA_REQUEST_SCHEMA);

export class SchemaVersionDto {
  @ApiProperty({ enum: DOMAINS })
  domain!: string;
  version!: number;
  @ApiProperty({ type: 'object', additionalProperties: true })
  json_schema!: Record<string, unknown>;
  @ApiProperty(UPCAST_STEPS_OPENAPI_SCHEMA)
  upcast!: UpcastStep[];
  @ApiProperty({ nullable: true, type: 'string' })
  created_by!: string | null;
  created_at!: string;

  static from(row: SchemaVersionRow): SchemaVersionDto {
    return {
      domain: row.domain,
      version: row.version,
      json_schema: row.json_schema,
      upcast: row.upcast,
      created_by: row.created_by,
      created_at: row.created_at.toISOString(),
    };
  }
}

export class DomainSchemaDto {
  @ApiProperty({ enum: DOMAINS })
  domain!: string;
  current!: SchemaVersionDto;
  /** Every version, newest first. */
  history!: SchemaVersionDto[];

  static from(history: DomainSchemaHistory): DomainSchemaDto {
    return {
      domain: history.domain,
      current: SchemaVersionDto.from(history.current),
      history: history.history.map((row) => SchemaVersionDto.from(row)),
    };
  }
}

export class DomainSchemaSummaryDto {
  @ApiProperty({ enum: DOMAINS })
  domain!: string;
  /** null: the tenant has no schema for the domain (records are not validated). */
  @ApiProperty({ nullable: true, type: 'integer' })
  current_version!: number | null;
  @ApiProperty({ nullable: true, type: 'string', format: 'date-time' })
  updated_at!: string | null;

  static from(summary: DomainSchemaSummary): DomainSchemaSummaryDto {
    return {
      domain: summary.domain,
      current_version: summary.current_version,
      updated_at: summary.updated_at?.toISOString() ?? null,
    };
  }
}

export class PutInvariantDto {
  @IsBoolean()
  enabled!: boolean;
}

export class InvariantDto {
  @ApiProperty({ enum: INVARIANTS })
  name!: string;
  @ApiProperty({ enum: DOMAINS })
  domain!: string;
  description!: string;
  enabled!: boolean;
  /** default: on, no tenant switch; tenant: set with PUT. */
  @ApiProperty({ enum: ['default', 'tenant'] })
  source!: 'default' | 'tenant';
  @ApiProperty({ nullable: true, type: 'string', format: 'date-time' })
  updated_at!: string | null;

  static from(state: InvariantState): InvariantDto {
    return { ...state, updated_at: state.updated_at?.toISOString() ?? null };
  }
}
