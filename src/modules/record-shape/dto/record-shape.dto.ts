import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { DOMAINS } from '../../../common/domain';
import type { InvariantState } from '../invariant.service';
import { INVARIANTS } from '../invariant.policy';
import type { SchemaVersionRow } from '../record-schema-version.repository';
import type { DomainSchemaHistory, DomainSchemaSummary } from '../record-schema.service';
import { UPCAST_OPS } from '../upcast.policy';

const TASK_SCHEMA = {
  type: 'object',
  required: ['jobdesc', 'jobstatus'],
  properties: {
    jobdesc: { type: 'string', minLength: 3, maxLength: 200 },
    jobstatus: { type: 'string', enum: ['ASSIGNED', 'INPROGRESS', 'COMPLETED', 'PARTIALLYCOMPLETED', 'STANDBY'] },
    remarks: { type: 'string' },
    scantype: { type: 'string', enum: ['NONE', 'QR', 'NFC', 'SKIP', 'ENTERED'] },
  },
};

const JSON_VALUE = [
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
  { type: 'object', additionalProperties: true },
  { type: 'array', items: {} },
];

/** One declarative step from the previous version (top-level fields). */
export class UpcastStepDto {
  @ApiProperty({ enum: UPCAST_OPS, example: 'rename' })
  op!: string;
  /** rename: the field's name in the previous version. */
  @ApiPropertyOptional({ example: 'status' })
  from?: string;
  /** rename: its name in this version. */
  @ApiPropertyOptional({ example: 'jobstatus' })
  to?: string;
  /** set_default, drop, map_values: the field. */
  @ApiPropertyOptional({ example: 'scantype' })
  field?: string;
  /** set_default: the value a record without the field gets (any JSON value). */
  @ApiPropertyOptional({ oneOf: JSON_VALUE, example: 'NONE' })
  value?: unknown;
  /** map_values: previous value → value in this version (string values). */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { DONE: 'COMPLETED' } })
  values?: Record<string, unknown>;
}

/** Validated by PutSchemaBodyPipe (every failure names its JSON pointer); this class documents it. */
export class PutSchemaDto {
  /** The current version + 1 (1 for the first). */
  @ApiProperty({ type: 'integer', minimum: 1, example: 2 })
  version!: number;
  /** A JSON Schema (draft-07) for the domain's record data; compiled with ajv, unknown keywords refused. */
  @ApiProperty({ type: 'object', additionalProperties: true, example: TASK_SCHEMA })
  json_schema!: Record<string, unknown>;
  /** Steps from the previous version, applied in order; none for version 1. */
  @ApiPropertyOptional({
    type: [UpcastStepDto],
    example: [
      { op: 'rename', from: 'status', to: 'jobstatus' },
      { op: 'set_default', field: 'scantype', value: 'NONE' },
    ],
  })
  upcast?: UpcastStepDto[];
}

export class SchemaVersionDto {
  @ApiProperty({ enum: DOMAINS })
  domain!: string;
  version!: number;
  @ApiProperty({ type: 'object', additionalProperties: true })
  json_schema!: Record<string, unknown>;
  @ApiProperty({ type: [UpcastStepDto] })
  upcast!: UpcastStepDto[];
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
