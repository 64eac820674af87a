import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Header, Req } from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/auth.decorators';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { classifyAddress } from '../../common/net/public-address';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from './metrics.service';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Who may scrape: with METRICS_TOKEN, a caller presenting it as a bearer token (401 otherwise); without it, loopback
 * clients only (403 otherwise). The address is the socket's peer, never a forwarded header.
 */
export function checkScraper(
  authorization: string | undefined,
  peer: string | undefined,
  token: string | undefined,
): void {
  if (token !== undefined) {
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), digest(token))) {
      throw new AppException(ErrorCode.Unauthorized, 'GET /metrics needs the METRICS_TOKEN bearer token', [], {
        'www-authenticate': 'Bearer',
      });
    }
    return;
  }
  if (peer === undefined || classifyAddress(peer) !== 'loopback') {
    throw new AppException(ErrorCode.Forbidden, 'Without METRICS_TOKEN, /metrics answers loopback clients only');
  }
}

@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Prometheus text exposition. Needs METRICS_TOKEN as a bearer token when it is set, else a loopback client. */
  @ApiOperation({ operationId: 'getMetrics' })
  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and was not presented', type: ErrorBodyDto })
  @ApiForbiddenResponse({ description: 'METRICS_TOKEN is unset and the client is not loopback', type: ErrorBodyDto })
  scrape(@Req() request: FastifyRequest): Promise<string> {
    checkScraper(request.headers.authorization, request.socket.remoteAddress, this.config.get('METRICS_TOKEN'));
    return this.metrics.render();
  }
}
