import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiNotFoundResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { RecordFieldsPipe } from '../../common/http/record-fields.pipe';
import { ConflictReportService } from './conflict-report.service';
import { ConflictResolveService } from './conflict-resolve.service';
import { ConflictReviewService } from './conflict-review.service';
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

@ApiTags('conflicts')
@RequireScopes('admin')
@Controller('api/v1/conflicts')
export class ConflictController {
  constructor(
    private readonly reports: ConflictReportService,
    private readonly resolver: ConflictResolveService,
    private readonly reviews: ConflictReviewService,
  ) {}

  /** Domains with the most conflicts in the last `days` days (this tenant only, top 5, most first). */
  @ApiOperation({ operationId: 'getConflictHotspots' })
  @Get('hotspots')
  hotspots(@CurrentPrincipal() principal: Principal, @Query() query: DaysQueryDto): Promise<HotspotDto[]> {
    return this.reports.hotspots(principal.tenantId, query.days);
  }

  /** Conflict counts of the last `days` days by domain, strategy and result; pending reviews; top devices. */
  @ApiOperation({ operationId: 'getConflictReport' })
  @Get('report')
  report(@CurrentPrincipal() principal: Principal, @Query() query: DaysQueryDto): Promise<ConflictReportDto> {
    return this.reports.report(principal.tenantId, query.days);
  }

  /** Resolves two (or, with base_entry, three) copies of a record by the tenant's policy and logs the result. */
  @ApiOperation({ operationId: 'resolveConflict' })
  @Post('resolve')
  @HttpCode(200)
  @RequireScopes('sync')
  resolve(
    @CurrentPrincipal() principal: Principal,
    @Body(RecordFieldsPipe('server_entry', 'client_entry', 'base_entry')) dto: ResolveConflictDto,
  ): Promise<ConflictResolutionDto> {
    return this.resolver.resolve(principal, dto);
  }

  /** The conflict log, newest first, with keyset pagination; `awaiting_review=true` lists the review queue. */
  @ApiOperation({ operationId: 'listConflicts' })
  @Get()
  list(@CurrentPrincipal() principal: Principal, @Query() query: ListConflictsQueryDto): Promise<ConflictPageDto> {
    return this.reviews.list(principal.tenantId, query);
  }

  /** One conflict of the caller's tenant. */
  @ApiOperation({ operationId: 'getConflict' })
  @Get(':id')
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConflictLogDto> {
    return this.reviews.get(principal.tenantId, id);
  }

  /** A reviewer's decision on a manual_required conflict: the chosen copy becomes the record's next version. */
  @ApiOperation({ operationId: 'resolveConflictManually' })
  @Post(':id/resolve')
  @HttpCode(200)
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'Already resolved (ALREADY_RESOLVED) or failed', type: ErrorBodyDto })
  resolveManually(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body(RecordFieldsPipe('merged_entry')) dto: ResolveManualDto,
  ): Promise<ConflictActionResultDto> {
    return this.reviews.resolve(principal, id, dto);
  }

  /** Writes the losing copy of an automatically resolved push conflict as the record's next version. */
  @ApiOperation({ operationId: 'restoreConflict' })
  @Post(':id/restore')
  @HttpCode(200)
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'Already restored, or not an automatic push resolution', type: ErrorBodyDto })
  restore(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ConflictActionResultDto> {
    return this.reviews.restore(principal, id);
  }
}
