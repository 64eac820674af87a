import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, TenantDto, UpdateTenantDto } from './dto/tenant.dto';
import { TenantService } from './tenant.service';

@ApiTags('tenant')
@RequireScopes('admin')
@Controller('api/v1')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  /** The caller's tenant. */
  @ApiOperation({ operationId: 'getTenant' })
  @Get('tenant')
  get(@CurrentPrincipal() principal: Principal): Promise<TenantDto> {
    return this.tenants.getTenant(principal.tenantId);
  }

  /** Changes the caller's tenant: name, timezone, webhook. */
  @ApiOperation({ operationId: 'updateTenant' })
  @Patch('tenant')
  update(@CurrentPrincipal() principal: Principal, @Body() dto: UpdateTenantDto): Promise<TenantDto> {
    return this.tenants.updateTenant(principal.tenantId, dto);
  }

  /** The tenant's API keys (hashes and secrets are never returned). */
  @ApiOperation({ operationId: 'listApiKeys' })
  @Get('api-keys')
  listKeys(@CurrentPrincipal() principal: Principal): Promise<ApiKeyDto[]> {
    return this.tenants.listApiKeys(principal.tenantId);
  }

  /** Creates an API key; the key is in the response once and never again. */
  @ApiOperation({ operationId: 'createApiKey' })
  @Post('api-keys')
  createKey(@CurrentPrincipal() principal: Principal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.tenants.issueApiKey(principal.tenantId, dto);
  }

  /** Revokes a key of the caller's tenant. */
  @ApiOperation({ operationId: 'revokeApiKey' })
  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  revokeKey(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    return this.tenants.revokeApiKey(principal.tenantId, id);
  }
}
