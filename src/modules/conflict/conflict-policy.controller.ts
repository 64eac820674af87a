import { Body, Controller, Delete, Get, HttpCode, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { DOMAINS } from '../../common/domain';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { ConflictService } from './conflict.service';
import { ConflictPolicyDto, PutConflictPolicyDto } from './dto/conflict.dto';

@ApiTags('conflicts')
@RequireScopes('admin')
@Controller('api/v1/conflict-policies')
export class ConflictPolicyController {
  constructor(private readonly conflicts: ConflictService) {}

  /** The effective conflict policy of every domain: the tenant's override or the default. */
  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<ConflictPolicyDto[]> {
    return (await this.conflicts.listPolicies(principal.tenantId)).map((policy) => ConflictPolicyDto.from(policy));
  }

  /** Sets the tenant's policy for a domain; `manual` with auto_resolve=true is rejected. */
  @Put(':domain')
  @ApiParam({ name: 'domain', enum: DOMAINS })
  @ApiBadRequestResponse({ description: 'Unknown domain or invalid policy', type: ErrorBodyDto })
  async put(
    @CurrentPrincipal() principal: Principal,
    @Param('domain') domain: string,
    @Body() dto: PutConflictPolicyDto,
  ): Promise<ConflictPolicyDto> {
    return ConflictPolicyDto.from(await this.conflicts.putPolicy(principal, domain, dto));
  }

  /** Removes the tenant's override: the domain reverts to its default policy. */
  @Delete(':domain')
  @HttpCode(204)
  @ApiParam({ name: 'domain', enum: DOMAINS })
  @ApiBadRequestResponse({ description: 'Unknown domain', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'The tenant has no override for this domain', type: ErrorBodyDto })
  async remove(@CurrentPrincipal() principal: Principal, @Param('domain') domain: string): Promise<void> {
    await this.conflicts.deletePolicy(principal.tenantId, domain);
  }
}
