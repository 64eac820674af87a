import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { RecordFieldsPipe } from '../../common/http/record-fields.pipe';
import { ConflictService } from './conflict.service';
import {
  ConflictActionResultDto,
  ConflictLogDto,
  ConflictPageDto,
  ConflictReportDto,
  ConflictResolutionDto,
  DaysQueryDto,
  HotspotDto,
  ListConflictsQueryDto,
  ResolveConflictDto,
  ResolveManualDto,
} from './dto/conflict.dto';

const DEFAULT_DAYS = 7;

@ApiTags('conflicts')
@RequireScopes('admin')
@Controller('api/v1/conflicts')
export class ConflictController {
  constructor(private readonly conflicts: ConflictService) {}

  /** Domains with the most conflicts in the last `days` days (this tenant only, top 5, most first). */
  @Get('hotspots')
  async hotspots(@CurrentPrincipal() principal: Principal, @Query() query: DaysQueryDto): Promise<HotspotDto[]> {
    return (await this.conflicts.hotspots(principal.tenantId, query.days ?? DEFAULT_DAYS)).map((hotspot) =>
      HotspotDto.from(hotspot),
    );
  }

  /** Conflict counts of the last `days` days by domain, strategy and result; pending reviews; top devices. */
  @Get('report')
  async report(@CurrentPrincipal() principal: Principal, @Query() query: DaysQueryDto): Promise<ConflictReportDto> {
    return ConflictReportDto.from(await this.conflicts.report(principal.tenantId, query.days ?? DEFAULT_DAYS));
  }

  /** Resolves two (or, with base_entry, three) copies of a record by the tenant's policy and logs the result. */
  @Post('resolve')
  @HttpCode(200)
  @RequireScopes('sync')
  async resolve(
    @CurrentPrincipal() principal: Principal,
    @Body(RecordFieldsPipe('server_entry', 'client_entry', 'base_entry')) dto: ResolveConflictDto,
  ): Promise<ConflictResolutionDto> {
    return ConflictResolutionDto.from(await this.conflicts.resolve(principal, dto));
  }

  /** The conflict log, newest first, with keyset pagination. */
  @Get()
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListConflictsQueryDto,
  ): Promise<ConflictPageDto> {
    return ConflictPageDto.from(await this.conflicts.list(principal.tenantId, query));
  }

  /** One conflict of the caller's tenant. */
  @Get(':id')
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConflictLogDto> {
    return ConflictLogDto.from(await this.conflicts.get(principal.tenantId, id));
  }

  /** A reviewer's decision on a manual_required conflict: the chosen copy becomes the record's next version. */
  @Post(':id/resolve')
  @HttpCode(200)
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'Already resolved (ALREADY_RESOLVED) or failed', type: ErrorBodyDto })
  async resolveManually(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(RecordFieldsPipe('merged_entry')) dto: ResolveManualDto,
  ): Promise<ConflictActionResultDto> {
    return ConflictActionResultDto.fromAction(
      await this.conflicts.resolveManually(principal, id, dto.choose, dto.merged_entry),
    );
  }

  /** Writes the losing copy of an automatically resolved push conflict as the record's next version. */
  @Post(':id/restore')
  @HttpCode(200)
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'Already restored, or not an automatic push resolution', type: ErrorBodyDto })
  async restore(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConflictActionResultDto> {
    return ConflictActionResultDto.fromAction(await this.conflicts.restore(principal, id));
  }
}
