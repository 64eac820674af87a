import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { errorMessage } from '../../common/errors/error-message';
import { QueueDrainService } from './queue-drain.service';

/**
 * How often the drain starts when it is idle. A drain runs until nothing is left to claim, so a backlog is worked
 * off batch after batch, not one slice per interval.
 */
export const QUEUE_DRAIN_INTERVAL_MS = 30_000;

/**
 * No advisory lock: the drain's SKIP LOCKED claims already give each item to one replica, and replicas draining
 * side by side is the point. Active only when SCHEDULER_ENABLED (ScheduleModule is imported).
 */
@Injectable()
export class QueueScheduler implements BeforeApplicationShutdown {
  private readonly logger = new Logger(QueueScheduler.name);
  private running: Promise<void> | null = null;

  constructor(private readonly queue: QueueDrainService) {}

  @Interval('queue-drain', QUEUE_DRAIN_INTERVAL_MS)
  async drain(): Promise<void> {
    if (this.running) return;
    this.running = this.queue
      .drain()
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error(`drain failed: ${errorMessage(error)}`))
      .finally(() => {
        this.running = null;
      });
    await this.running;
  }

  /** Lets the batch in flight commit before the database connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    this.queue.stop();
    await this.running;
  }
}
