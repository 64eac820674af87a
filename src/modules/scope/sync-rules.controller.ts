import { Body, Controller, Delete, Get, HttpCode, Put, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { ExplainDto, ExplainQueryDto, PutSyncRulesDto, SyncRulesDto, SyncRulesVersionDto } from './dto/scope.dto';
import { ScopeExplainService } from './scope-explain.service';
import { SyncRulesService } from './sync-rules.service';

@ApiTags('sync scopes')
@RequireScopes('admin')
@Controller('api/v1/sync-rules')
export class SyncRulesController {
  constructor(
    private readonly rules: SyncRulesService,
    private readonly explainer: ScopeExplainService,
  ) {}

  /** The rules in force: the tenant's latest version, or the defaults (version 0). */
  @ApiOperation({ operationId: 'getSyncRules' })
  @Get()
  async get(@CurrentPrincipal() principal: Principal): Promise<SyncRulesDto> {
    return SyncRulesDto.from(await this.rules.current(principal.tenantId));
  }

  /** Stores a new rules version; it is applied to stored records in the background. */
  @ApiOperation({ operationId: 'putSyncRules' })
  @Put()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SyncRulesVersionDto })
  @ApiBadRequestResponse({ description: 'Invalid rules: details name the domain and key', type: ErrorBodyDto })
  async put(@CurrentPrincipal() principal: Principal, @Body() dto: PutSyncRulesDto): Promise<SyncRulesVersionDto> {
    return SyncRulesVersionDto.from(await this.rules.put(principal, dto.rules));
  }

  /** Returns to the default rules, as a new version. */
  @ApiOperation({ operationId: 'resetSyncRules' })
  @Delete()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: SyncRulesVersionDto })
  async reset(@CurrentPrincipal() principal: Principal): Promise<SyncRulesVersionDto> {
    return SyncRulesVersionDto.from(await this.rules.reset(principal));
  }

  /** A record's keys, the user's keys, and whether and why the user reads and changes the record. */
  @ApiOperation({ operationId: 'explainSyncRules' })
  @Get('explain')
  @ApiBadRequestResponse({ description: 'Missing or invalid user_id, domain or mobile_id', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'No such record in the tenant', type: ErrorBodyDto })
  async explain(@CurrentPrincipal() principal: Principal, @Query() query: ExplainQueryDto): Promise<ExplainDto> {
    return ExplainDto.from(await this.explainer.explain(principal.tenantId, query));
  }
}
