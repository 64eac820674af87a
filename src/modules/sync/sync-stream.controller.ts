import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiOperation,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, RequireScopes } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { EventStream } from '../live/event-stream';
import { StreamQueryDto } from './dto/sync.dto';
import { SyncLiveService } from './sync-live.service';

const EXAMPLE =
  'retry: 3000\n\nevent: changes\nid: Y3MxOjQy\ndata: {"changes":[{"domain":"task","mobile_id":"…","version":2,' +
  '"deleted":false,"data":{"status":"done"},"updated_at":"2025-09-28T10:00:00.000Z"}],"next_cursor":"Y3MxOjQy",' +
  '"has_more":false}\n\nevent: heartbeat\ndata: {}\n\n';

@ApiTags('sync')
@RequireScopes('sync')
@Controller('api/v1/sync/changes/stream')
export class SyncStreamController {
  constructor(private readonly live: SyncLiveService) {}

  /**
   * Server-Sent Events: `event: changes` carries a pull page (its `id:` is the page's next_cursor) whenever the
   * caller's feed changes, `event: heartbeat` keeps the connection alive, `event: shutdown` with a `retry:` hint
   * precedes a server restart. Reconnect with `Last-Event-ID` (or `cursor`) to resume with nothing missed. Gzip
   * when accepted (flushed per event), identity otherwise.
   */
  @ApiOperation({ operationId: 'streamChanges' })
  @Get()
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The last id received; resumes after it' })
  @ApiOkResponse({
    description: 'An endless text/event-stream of changes and heartbeat events',
    content: { 'text/event-stream': { schema: { type: 'string' }, example: EXAMPLE } },
  })
  @ApiBadRequestResponse({ description: 'Invalid cursor or query', type: ErrorBodyDto })
  @ApiServiceUnavailableResponse({
    description: 'Replica at STREAM_MAX_CONNECTIONS, or database down',
    type: ErrorBodyDto,
  })
  // The response is the stream itself: it outlives the handler, so it takes Fastify's reply (hijacked once open).
  stream(
    @CurrentPrincipal() principal: Principal,
    @Query() query: StreamQueryDto,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.live.stream(principal, { ...query, cursor: lastEventId || query.cursor }, EventStream.over(reply));
  }
}
