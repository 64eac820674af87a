import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBadRequestResponse, ApiParam, ApiTags, ApiOperation } from '@nestjs/swagger';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { InvariantDto, PutInvariantDto } from './dto/record-shape.dto';
import { INVARIANTS } from './invariant.policy';
import { InvariantService } from './invariant.service';

@ApiTags('schemas')
@RequireScopes('admin')
@Controller('api/v1/invariants')
export class InvariantController {
  constructor(private readonly invariants: InvariantService) {}

  /** Every domain invariant and whether it is on for the tenant (on unless switched off). */
  @ApiOperation({ operationId: 'listInvariants' })
  @Get()
  async list(@CurrentPrincipal() principal: Principal): Promise<InvariantDto[]> {
    return (await this.invariants.list(principal.tenantId)).map((state) => InvariantDto.from(state));
  }

  /** Switches one invariant on or off for the tenant. */
  @ApiOperation({ operationId: 'putInvariant' })
  @Put(':name')
  @ApiParam({ name: 'name', enum: INVARIANTS })
  @ApiBadRequestResponse({ description: 'Unknown invariant', type: ErrorBodyDto })
  async put(
    @CurrentPrincipal() principal: Principal,
    @Param('name') name: string,
    @Body() dto: PutInvariantDto,
  ): Promise<InvariantDto> {
    return InvariantDto.from(await this.invariants.put(principal.tenantId, name, dto.enabled, principal.userId));
  }
}
