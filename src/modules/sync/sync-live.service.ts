import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../../common/auth/principal';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { errorMessage } from '../../common/errors/error-message';
import { SyncMeter } from '../../common/metering/sync-meter';
import { acceptAll, ChangeHub } from '../live/change-hub';
import type { EventStream } from '../live/event-stream';
import { StreamRegistry } from '../live/stream-registry';
import { PullBodyDto, PullResponseDto, StreamQueryDto } from './dto/sync.dto';
import { SyncService } from './sync.service';

/** A read that failed (database briefly away) is tried again after this long. */
const READ_RETRY_MS = 1000;

/**
 * The changes feed, live: a Server-Sent Events stream of pull pages, and the long-poll form of pull. Both read
 * through SyncService.pull, so a stream sends exactly what a pull would (the caller's tenant and scope), and both
 * subscribe before their first read, so a change committed in between still wakes them.
 */
@Injectable()
export class SyncLiveService {
  private readonly logger = new Logger(SyncLiveService.name);

  constructor(
    private readonly sync: SyncService,
    private readonly hub: ChangeHub,
    private readonly registry: StreamRegistry,
  ) {}

  /** A pull that waits up to `wait` seconds for a change when the page would be empty. */
  async pull(principal: Principal, request: PullBodyDto, meter: SyncMeter): Promise<PullResponseDto> {
    const wait = request.wait ?? 0;
    if (wait <= 0) return this.sync.pull(principal, request, meter);
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const unsubscribe = this.hub.subscribe({ tenantId: principal.tenantId, accepts: acceptAll, wake: () => wake() });
    try {
      const page = await this.sync.pull(principal, request, meter);
      if (page.changes.length > 0 || !this.registry.addWaiter(wake)) return page;
      const timer = setTimeout(wake, wait * 1000);
      await woken;
      clearTimeout(timer);
      this.registry.removeWaiter(wake);
      return await this.sync.pull(principal, request, meter);
    } finally {
      unsubscribe();
    }
  }

  /** Opens a stream from the cursor; errors before the first byte (cursor, cap, database) are plain HTTP errors. */
  async stream(principal: Principal, request: StreamQueryDto, stream: EventStream): Promise<void> {
    if (!this.registry.hasRoom()) {
      throw new AppException(ErrorCode.StreamLimit, 'This replica holds its maximum of change streams', [], {
        'retry-after': String(Math.max(1, Math.ceil(this.registry.retryMs / 1000))),
      });
    }
    const reader = new FeedReader(principal, request, stream, this.sync, this.registry, this.logger);
    const unsubscribe = this.hub.subscribe(reader);
    try {
      const first = await reader.readPage();
      stream.open(this.registry.retryMs);
      this.registry.add(stream);
      stream.onClose(unsubscribe);
      reader.deliver(first);
    } catch (error) {
      unsubscribe();
      throw error;
    }
  }
}

/** One stream's position in the feed; reads only when woken, one read at a time, coalescing wake-ups. */
class FeedReader {
  readonly tenantId: string;
  readonly accepts = acceptAll;
  private cursor: string | null | undefined;
  private reading = false;
  private pending = false;

  constructor(
    private readonly principal: Principal,
    private readonly request: StreamQueryDto,
    private readonly stream: EventStream,
    private readonly sync: SyncService,
    private readonly registry: StreamRegistry,
    private readonly logger: Logger,
  ) {
    this.tenantId = principal.tenantId;
    this.cursor = request.cursor;
  }

  wake(): void {
    if (this.stream.isClosed) return;
    this.pending = true;
    if (!this.reading) void this.drain();
  }

  readPage(): Promise<PullResponseDto> {
    const meter = new SyncMeter('pull', this.principal.tenantId, this.principal.userId, this.principal.deviceId);
    return this.sync.pull(this.principal, { ...this.request, cursor: this.cursor }, meter);
  }

  /** Sends a page when it holds changes; true when more are waiting. */
  deliver(page: PullResponseDto): void {
    if (page.changes.length > 0 && this.registry.send(this.stream, 'changes', page, page.next_cursor)) {
      this.cursor = page.next_cursor;
    }
    if (page.has_more) this.wake();
  }

  private async drain(): Promise<void> {
    this.reading = true;
    try {
      while (this.pending && !this.stream.isClosed) {
        this.pending = false;
        await this.stream.drained();
        if (this.stream.isClosed) break;
        this.deliver(await this.readPage());
      }
    } catch (error) {
      this.logger.warn(`change stream read failed: ${errorMessage(error)}`);
      setTimeout(() => this.wake(), READ_RETRY_MS).unref();
    } finally {
      this.reading = false;
    }
  }
}
