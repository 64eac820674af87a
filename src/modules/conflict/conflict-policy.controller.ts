import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { DOMAINS } from '../../common/domain';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { ConflictPolicyService } from './conflict-policy.service';
import { ConflictPolicyDto, PutConflictPolicyDto } from './dto/conflict.dto';

@ApiTags('conflicts')
@RequireScopes('admin')
@Controller('api/v1/conflict-policies')
export class ConflictPolicyController {
  constructor(private readonly policies: ConflictPolicyService) {}

  /** The effective conflict policy of every domain: the tenant's override or the default. */
  @ApiOperation({ operationId: 'listConflictPolicies' })
  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<ConflictPolicyDto[]> {
    return this.policies.list(principal.tenantId);
  }

  /** Sets the tenant's policy for a domain; `manual` with auto_resolve=true is rejected. */
  @ApiOperation({ operationId: 'putConflictPolicy' })
  @Put(':domain')
  @ApiParam({ name: 'domain', enum: DOMAINS })
  @ApiBadRequestResponse({ description: 'Unknown domain or invalid policy', type: ErrorBodyDto })
  put(
    @CurrentPrincipal() principal: Principal,
    @Param('domain') domain: string,
    @Body() dto: PutConflictPolicyDto,
  ): Promise<ConflictPolicyDto> {
    return this.policies.put(principal, domain, dto);
  }

  /** Removes the tenant's override: the domain reverts to its default policy. */
  @ApiOperation({ operationId: 'deleteConflictPolicy' })
  @Delete(':domain')
  @HttpCode(204)
  @ApiParam({ name: 'domain', enum: DOMAINS })
  @ApiBadRequestResponse({ description: 'Unknown domain', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'The tenant has no override for this domain', type: ErrorBodyDto })
  remove(@CurrentPrincipal() principal: Principal, @Param('domain') domain: string): Promise<void> {
    return this.policies.delete(principal.tenantId, domain);
  }
}
