import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app-exception';
import { SCOPES, Scope } from '../../common/domain';
import { isUuid } from '../../common/ids';
import { assertPublicUrl, UnsafeUrlError } from '../../common/net/public-address';
import { AppConfig } from '../../config/app-config';
import { ApiKeyRepository, ApiKeyRow } from './api-key.repository';
import { TenantRepository, TenantRow } from './tenant.repository';

export const API_KEY_PREFIX = 'fsk_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

export interface CreatedApiKey {
  id: string;
  key: string;
  tenantId: string;
  scopes: Scope[];
  userId: string | null;
}

@Injectable()
export class TenantService {
  constructor(
    private readonly tenants: TenantRepository,
    private readonly apiKeys: ApiKeyRepository,
    private readonly config: AppConfig,
  ) {}

  async createTenant(
    name: string,
    timezone = 'UTC',
    webhookUrl: string | null = null,
    webhookSecret: string | null = null,
  ): Promise<TenantRow> {
    if (name.trim() === '') throw AppException.validation('name must not be empty');
    if (!isValidTimezone(timezone)) throw AppException.validation(`unknown timezone "${timezone}"`);
    if (webhookUrl !== null) await this.checkWebhookUrl(webhookUrl);
    return this.tenants.insert(name.trim(), timezone, webhookUrl, webhookSecret);
  }

  async findTenant(tenantId: string): Promise<TenantRow> {
    const tenant = await this.tenants.findById(tenantId);
    if (!tenant) throw AppException.notFound(`tenant ${tenantId}`);
    return tenant;
  }

  listTenantIds(): Promise<string[]> {
    return this.tenants.listIds();
  }

  /** Creates a key and returns it once; only its SHA-256 hash is stored. */
  async createApiKey(
    tenantId: string,
    scopes: string[],
    userId: string | null = null,
    name = 'api key',
  ): Promise<CreatedApiKey> {
    await this.findTenant(tenantId);
    const unknown = scopes.filter((scope) => !SCOPES.includes(scope as Scope));
    if (scopes.length === 0 || unknown.length > 0) {
      throw AppException.validation(`scopes must be a non-empty list of ${SCOPES.join(', ')}`);
    }
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const id = await this.apiKeys.insert(tenantId, name, hashApiKey(key), scopes, userId);
    return { id, key, tenantId, scopes: scopes as Scope[], userId };
  }

  async updateTenant(
    tenantId: string,
    changes: { name?: string; timezone?: string; webhook_url?: string | null; webhook_secret?: string },
  ): Promise<TenantRow> {
    if (changes.timezone !== undefined && !isValidTimezone(changes.timezone)) {
      throw AppException.validation(`unknown timezone "${changes.timezone}"`);
    }
    if (typeof changes.webhook_url === 'string') await this.checkWebhookUrl(changes.webhook_url);
    const updated = await this.tenants.update(tenantId, changes);
    if (!updated) throw AppException.notFound(`tenant ${tenantId}`);
    return updated;
  }

  /** A webhook must be https (http when WEBHOOK_ALLOW_HTTP) and reach only public addresses (API.md "Limits"). */
  private async checkWebhookUrl(url: string): Promise<void> {
    try {
      await assertPublicUrl(url, {
        allowHttp: this.config.get('WEBHOOK_ALLOW_HTTP'),
        allowedHosts: this.config.get('WEBHOOK_ALLOWED_HOSTS'),
      });
    } catch (error) {
      if (!(error instanceof UnsafeUrlError)) throw error;
      throw AppException.validation(`webhook_url ${error.message}`, [{ field: 'webhook_url', message: error.message }]);
    }
  }

  listApiKeys(tenantId: string): Promise<ApiKeyRow[]> {
    return this.apiKeys.list(tenantId);
  }

  async revokeApiKey(tenantId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.apiKeys.revoke(tenantId, id))) throw AppException.notFound(`api key ${id}`);
  }
}
