import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, TenantDto, UpdateTenantDto } from './dto/tenant.dto';
import { TenantService } from './tenant.service';

function toApiKeyDto(row: {
  id: string;
  name: string;
  scopes: string[];
  user_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
}): ApiKeyDto {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    user_id: row.user_id,
    created_at: row.created_at.toISOString(),
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

@ApiTags('tenant')
@RequireScopes('admin')
@Controller('api/v1')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  /** The caller's tenant. */
  @Get('tenant')
  async get(@CurrentPrincipal() principal: Principal): Promise<TenantDto> {
    return TenantDto.from(await this.tenants.findTenant(principal.tenantId));
  }

  /** Changes the caller's tenant: name, timezone, webhook. */
  @Patch('tenant')
  async update(@CurrentPrincipal() principal: Principal, @Body() dto: UpdateTenantDto): Promise<TenantDto> {
    return TenantDto.from(await this.tenants.updateTenant(principal.tenantId, dto));
  }

  /** The tenant's API keys (hashes and secrets are never returned). */
  @Get('api-keys')
  async listKeys(@CurrentPrincipal() principal: Principal): Promise<ApiKeyDto[]> {
    return (await this.tenants.listApiKeys(principal.tenantId)).map(toApiKeyDto);
  }

  /** Creates an API key; the key is in the response once and never again. */
  @Post('api-keys')
  async createKey(@CurrentPrincipal() principal: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const created = await this.tenants.createApiKey(principal.tenantId, dto.scopes, dto.user_id ?? null, dto.name);
    const row = (await this.tenants.listApiKeys(principal.tenantId)).find((key) => key.id === created.id)!;
    return { ...toApiKeyDto(row), api_key: created.key };
  }

  /** Revokes a key of the caller's tenant. */
  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async revokeKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.tenants.revokeApiKey(principal.tenantId, id);
  }
}
