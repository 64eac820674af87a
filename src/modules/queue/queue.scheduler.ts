import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { errorMessage } from '../../common/errors/error-message';
import { QueueDrainService } from './queue-drain.service';

/** How often the drain applies what devices left pending. */
export const QUEUE_DRAIN_INTERVAL_MS = 30_000;

/**
 * No advisory lock: the drain's SKIP LOCKED claims already give each item to one replica, and replicas draining
 * side by side is the point. Active only when SCHEDULER_ENABLED (ScheduleModule is imported).
 */
@Injectable()
export class QueueScheduler {
  private readonly logger = new Logger(QueueScheduler.name);
  private running = false;

  constructor(private readonly queue: QueueDrainService) {}

  @Interval('queue-drain', QUEUE_DRAIN_INTERVAL_MS)
  async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.queue.drain();
    } catch (error) {
      this.logger.error(`drain failed: ${errorMessage(error)}`);
    } finally {
      this.running = false;
    }
  }
}
