import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags, ApiOperation } from '@nestjs/swagger';
import { Public } from '../../common/auth/auth.decorators';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { HealthDto } from './dto/health.dto';
import { HealthService } from './health.service';

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @ApiOperation({ operationId: 'getLiveness' })
  @Get('live')
  @ApiOkResponse({ type: HealthDto })
  live(): HealthDto {
    return this.health.live();
  }

  @ApiOperation({ operationId: 'getReadiness' })
  @Get('ready')
  @ApiOkResponse({ type: HealthDto })
  @ApiServiceUnavailableResponse({ type: ErrorBodyDto, description: 'Database unreachable' })
  ready(): Promise<HealthDto> {
    return this.health.ready();
  }
}
