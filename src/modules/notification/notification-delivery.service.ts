import { createHmac } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { errorMessage } from '../../common/errors/error-message';
import { retryDelayMs } from './notification-delivery.policy';
import { TenantService } from '../tenant/tenant.service';
import { ClaimedNotification, NotificationDeliveryRepository } from './notification-delivery.repository';

const WEBHOOK_TIMEOUT_MS = 5_000;
/** A claimed notification is invisible to other replicas this long; longer than the webhook timeout. */
const DELIVERY_LEASE_MS = 60_000;
const DELIVERY_BATCH_SIZE = 20;
/** Attempts before a notification is marked failed for good. */
const MAX_DELIVERY_ATTEMPTS = 8;

export interface DeliveryResult {
  delivered: number;
  retried: number;
  failed: number;
  skipped: number;
}

interface WebhookNotification extends ClaimedNotification {
  webhook_url: string | null;
  webhook_secret: string | null;
}

/** `sha256=<hex HMAC-SHA256 of the exact body>` with the tenant's webhook secret. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * Delivers notification_outbox rows to the tenants' webhooks, at least once. Claims are short statements (a lease on
 * next_attempt_at), so no transaction is open while a webhook answers; never called from a sync request.
 */
@Injectable()
export class NotificationDeliveryService {
  private readonly logger = new Logger(NotificationDeliveryService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: NotificationDeliveryRepository,
    private readonly tenants: TenantService,
  ) {}

  /** Delivers what is due at `now`, batch after batch, until nothing due is left. */
  async deliverDue(now = new Date(), maxBatches = 10): Promise<DeliveryResult> {
    const result: DeliveryResult = { delivered: 0, retried: 0, failed: 0, skipped: 0 };
    for (let batch = 0; batch < maxBatches; batch++) {
      const claimed = await this.claimDue(now);
      if (claimed.length === 0) break;
      const outcomes = await Promise.all(claimed.map((notification) => this.deliver(notification, now)));
      for (const outcome of outcomes) result[outcome]++;
    }
    return result;
  }

  /** A batch of due notifications with their tenants' webhooks (two statements: the claim, the webhooks). */
  private async claimDue(now: Date): Promise<WebhookNotification[]> {
    const claimed = await this.outbox.claimDue(this.db, now, DELIVERY_LEASE_MS, DELIVERY_BATCH_SIZE);
    if (claimed.length === 0) return [];
    const webhooks = await this.tenants.webhooksOf(claimed.map((notification) => notification.tenant_id));
    return claimed.map((notification) => ({
      ...notification,
      webhook_url: webhooks.get(notification.tenant_id)?.webhook_url ?? null,
      webhook_secret: webhooks.get(notification.tenant_id)?.webhook_secret ?? null,
    }));
  }

  private async deliver(notification: WebhookNotification, now: Date): Promise<keyof DeliveryResult> {
    const { tenant_id: tenantId, id } = notification;
    if (!notification.webhook_url) {
      await this.outbox.markSkipped(this.db, tenantId, id, 'tenant has no webhook_url');
      return 'skipped';
    }
    const body = JSON.stringify({
      id,
      tenant_id: tenantId,
      kind: notification.kind,
      created_at: notification.created_at.toISOString(),
      payload: notification.payload,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'fieldsync-webhook/1',
      'x-fieldsync-delivery': id,
    };
    if (notification.webhook_secret)
      headers['x-fieldsync-signature'] = signWebhookBody(body, notification.webhook_secret);
    let error: string;
    try {
      const response = await fetch(notification.webhook_url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        redirect: 'manual',
      });
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) {
        await this.outbox.markDelivered(this.db, tenantId, id);
        return 'delivered';
      }
      error = `webhook answered ${response.status}`;
    } catch (cause) {
      error = `webhook unreachable: ${errorMessage(cause)}`;
    }
    const attempts = notification.attempts + 1;
    const giveUp = attempts >= MAX_DELIVERY_ATTEMPTS;
    await this.outbox.markAttemptFailed(
      this.db,
      tenantId,
      id,
      error,
      new Date(now.getTime() + retryDelayMs(notification.attempts)),
      giveUp,
    );
    this.logger.warn(`notification ${tenantId}/${id} attempt ${attempts} failed: ${error}`);
    return giveUp ? 'failed' : 'retried';
  }
}
