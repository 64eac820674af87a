import { createHmac } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { request as httpRequest, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6 } from 'node:net';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { errorMessage } from '../../common/errors/error-message';
import { assertPublicUrl, PublicUrlOptions, UnsafeUrlError } from '../../common/net/public-address';
import { AppConfig } from '../../config/app-config';
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

type Lookup = NonNullable<RequestOptions['lookup']>;

/** A `lookup` for the request that answers the addresses already checked, so the connection goes to one of them. */
function pinnedLookup(addresses: string[]): Lookup {
  const entries: LookupAddress[] = addresses.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, entries);
    else callback(null, entries[0].address, entries[0].family);
  }) as unknown as Lookup;
}

/**
 * POSTs `body` to `url`, connecting only to `addresses` when given (the checked result of resolving its host; a
 * second resolution could answer differently: DNS rebinding). Resolves with the status; redirects are not followed.
 */
export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  addresses: string[],
  timeoutMs: number,
): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(timeoutMs),
        ...(addresses.length > 0 ? { lookup: pinnedLookup(addresses) } : {}),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Delivers notification_outbox rows to the tenants' webhooks, at least once. Claims are short statements (a lease on
 * next_attempt_at), so no transaction is open while a webhook answers; never called from a sync request.
 */
@Injectable()
export class NotificationDeliveryService {
  private readonly logger = new Logger(NotificationDeliveryService.name);
  /** DNS resolution of webhook hosts (the system resolver); a test replaces it to stage a rebinding. */
  lookup: PublicUrlOptions['lookup'];

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: NotificationDeliveryRepository,
    private readonly tenants: TenantService,
    private readonly config: AppConfig,
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
    let refused = false;
    try {
      // Checked again now, after DNS, and the connection goes to the addresses checked.
      const addresses = await assertPublicUrl(notification.webhook_url, {
        allowHttp: this.config.get('WEBHOOK_ALLOW_HTTP'),
        allowedHosts: this.config.get('WEBHOOK_ALLOWED_HOSTS'),
        lookup: this.lookup,
      });
      const status = await postWebhook(notification.webhook_url, headers, body, addresses, WEBHOOK_TIMEOUT_MS);
      if (status >= 200 && status < 300) {
        await this.outbox.markDelivered(this.db, tenantId, id);
        return 'delivered';
      }
      error = `webhook answered ${status}`;
    } catch (cause) {
      // A host that does not resolve may be a passing DNS failure: retried like an unreachable one.
      refused = cause instanceof UnsafeUrlError && !cause.message.includes('does not resolve');
      error = refused
        ? `webhook_url refused at delivery: ${errorMessage(cause)}`
        : `webhook unreachable: ${errorMessage(cause)}`;
    }
    const attempts = notification.attempts + 1;
    // A refused address is a policy decision, not an outage: no retry reaches it.
    const giveUp = refused || attempts >= MAX_DELIVERY_ATTEMPTS;
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
