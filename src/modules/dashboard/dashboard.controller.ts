import { applyDecorators, Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../../common/auth/auth.decorators';
import { DASHBOARD_CSP, DashboardService } from './dashboard.service';

/** The page holds no data: it asks for an admin key in the browser and calls the public API with it. */
function StaticAsset(contentType: string): MethodDecorator {
  return applyDecorators(
    Header('content-type', contentType),
    Header('content-security-policy', DASHBOARD_CSP),
    Header('x-content-type-options', 'nosniff'),
    Header('referrer-policy', 'no-referrer'),
    Header('cache-control', 'no-cache'),
  );
}

@ApiExcludeController()
@Public()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @StaticAsset('text/html; charset=utf-8')
  page(): Buffer {
    return this.dashboard.asset('index.html');
  }

  @Get('app.js')
  @StaticAsset('text/javascript; charset=utf-8')
  script(): Buffer {
    return this.dashboard.asset('app.js');
  }

  @Get('styles.css')
  @StaticAsset('text/css; charset=utf-8')
  styles(): Buffer {
    return this.dashboard.asset('styles.css');
  }

  @Get('vendor/chart.umd.js')
  @StaticAsset('text/javascript; charset=utf-8')
  chart(): Buffer {
    return this.dashboard.asset('chart.umd.js');
  }
}
