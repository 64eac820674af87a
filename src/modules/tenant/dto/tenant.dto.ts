import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  MaxLength,
  MinLength,
} from 'class-validator';
import { SCOPES } from '../../../common/domain';
import type { ApiKeyRow } from '../api-key.repository';
import type { TenantRow } from '../tenant.repository';

export class TenantDto {
  /** Tenant id. */
  id!: string;
  name!: string;
  /** IANA timezone; peak hours are in this zone. */
  timezone!: string;
  webhook_url!: string | null;
  /** Whether a webhook secret is set (the secret is never returned). */
  webhook_secret_set!: boolean;

  static from(row: TenantRow): TenantDto {
    return {
      id: row.id,
      name: row.name,
      timezone: row.timezone,
      webhook_url: row.webhook_url,
      webhook_secret_set: row.webhook_secret !== null,
    };
  }
}

export class UpdateTenantDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  /** IANA timezone, e.g. Asia/Kolkata. */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  timezone?: string;

  /** Where alerts and conflict notifications are POSTed; null removes it. */
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  @MaxLength(2000)
  webhook_url?: string | null;

  /** HMAC-SHA256 secret used to sign webhook bodies. */
  @IsOptional()
  @IsString()
  @Length(16, 200)
  webhook_secret?: string;
}

export class CreateApiKeyDto {
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, example: ['sync'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes!: string[];

  /** Binds the key to one user (mobile clients). */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  user_id?: string;
}

export class ApiKeyDto {
  id!: string;
  name!: string;
  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes!: string[];
  user_id!: string | null;
  created_at!: string;
  revoked_at!: string | null;

  static from(row: ApiKeyRow): ApiKeyDto {
    return {
      id: row.id,
      name: row.name,
      scopes: row.scopes,
      user_id: row.user_id,
      created_at: row.created_at.toISOString(),
      revoked_at: row.revoked_at?.toISOString() ?? null,
    };
  }
}

export class CreatedApiKeyDto extends ApiKeyDto {
  /** The key itself, shown once. */
  api_key!: string;

  static fromCreated(row: ApiKeyRow, key: string): CreatedApiKeyDto {
    return { ...ApiKeyDto.from(row), api_key: key };
  }
}
