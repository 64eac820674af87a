import { Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../../common/auth/principal';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { errorMessage } from '../../common/errors/error-message';
import { SyncMeter } from '../../common/metering/sync-meter';
import { ChangeHandle, ChangeHub } from '../live/change-hub';
import type { EventStream } from '../live/event-stream';
import { StreamRegistry } from '../live/stream-registry';
import { PullBodyDto, PullResponseDto, StreamQueryDto } from './dto/sync.dto';
import { FeedRead, SyncService } from './sync.service';

/** A read that failed (database briefly away) is tried again after this long. */
const READ_RETRY_MS = 1000;

/**
 * The changes feed, live: a Server-Sent Events stream of pull pages, and the long-poll form of pull. Both read
 * through SyncService.read, so a stream sends exactly what a pull would (the caller's tenant and scope), and both
 * subscribe before their first read, so a change committed in between still wakes them. A sync user's reader then
 * narrows to the scope keys its read went through: a commit to another technician's records does not wake it, a
 * reassignment to it (its own key) and a directory change of its user do. An admin reader stays tenant-wide.
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
    const subscription = this.hub.subscribe({ tenantId: principal.tenantId, wake: () => wake() });
    try {
      // Until the first read says which keys the caller reads through, every change of the tenant wakes it.
      const { page, keys } = await this.sync.read(principal, request, meter);
      if (page.changes.length > 0 || !this.registry.addWaiter(wake)) return page;
      subscription.setKeys(keys);
      const timer = setTimeout(wake, wait * 1000);
      await woken;
      clearTimeout(timer);
      this.registry.removeWaiter(wake);
      return await this.sync.pull(principal, request, meter);
    } finally {
      subscription.unsubscribe();
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
    const subscription = this.hub.subscribe(reader);
    reader.subscribed(subscription);
    try {
      const first = await reader.readFirst();
      stream.open(this.registry.retryMs);
      this.registry.add(stream);
      stream.onClose(() => subscription.unsubscribe());
      reader.start(first);
    } catch (error) {
      subscription.unsubscribe();
      throw error;
    }
  }
}

/** One stream's position in the feed; reads only when woken, one read at a time, coalescing wake-ups. */
class FeedReader {
  readonly tenantId: string;
  private cursor: string | null | undefined;
  /** True from the first read until the stream is open: wake-ups meanwhile wait for start(). */
  private reading = true;
  private pending = false;
  private subscription: ChangeHandle | undefined;
  /** The keys the hub wakes this reader for, as one string; undefined while tenant-wide (before the first read). */
  private keys: string | undefined;

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

  subscribed(subscription: ChangeHandle): void {
    this.subscription = subscription;
  }

  readFirst(): Promise<FeedRead> {
    return this.readPage();
  }

  /** The stream is open: sends the first page, then reads whenever woken (at once if woken meanwhile). */
  start(first: FeedRead): void {
    this.reading = false;
    this.deliver(first);
    if (this.pending) this.wake();
  }

  /**
   * Reads the next page and narrows the wake-ups to the keys it went through. When those keys changed since the
   * last read (a membership gained or lost), a change of a new key may have been filtered out meanwhile under the
   * old keys: one more read catches it.
   */
  private async readPage(): Promise<FeedRead> {
    const meter = new SyncMeter('pull', this.principal.tenantId, this.principal.userId, this.principal.deviceId);
    const read = await this.sync.read(this.principal, { ...this.request, cursor: this.cursor }, meter);
    const keys = read.keys === null ? undefined : read.keys.join('\n');
    if (keys !== this.keys) {
      if (this.keys !== undefined) this.pending = true;
      this.keys = keys;
      this.subscription?.setKeys(read.keys);
    }
    return read;
  }

  /**
   * Sends a page when it holds changes, and moves on to its cursor even when it holds none (a back-fill page whose
   * records all come later through the log is empty but moves the cursor); reads again when more are waiting.
   */
  private deliver({ page }: FeedRead): void {
    if (page.changes.length > 0 && !this.registry.send(this.stream, 'changes', page, page.next_cursor)) return;
    this.cursor = page.next_cursor;
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
