import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '../../common/errors/app-exception';
import { SCOPES, Scope } from '../../common/domain';
import { isUuid } from '../../common/ids';
import { assertPublicUrl, UnsafeUrlError } from '../../common/net/public-address';
import { AppConfig } from '../../config/app-config';
import { ApiKeyRepository, ApiKeyRow, CredentialRow } from './api-key.repository';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, TenantDto, type UpdateTenantDto } from './dto/tenant.dto';
import { TenantRepository, TenantRow } from './tenant.repository';

export const API_KEY_PREFIX = 'fsk_';
const MAX_KNOWN_TENANTS = 100_000;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function isValidTimezone(timezone: string): boolean {
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
  /** Tenant ids found to exist (see exists()). */
  private readonly known = new Set<string>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
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
    return this.tenants.insert(this.db, name.trim(), timezone, webhookUrl, webhookSecret);
  }

  /** The webhook of each of these tenants that exists, by tenant id; one statement. */
  async webhooksOf(
    tenantIds: readonly string[],
  ): Promise<Map<string, Pick<TenantRow, 'webhook_url' | 'webhook_secret'>>> {
    const rows = await this.tenants.findWebhooks(this.db, [...new Set(tenantIds)]);
    return new Map(rows.map((row) => [row.id, { webhook_url: row.webhook_url, webhook_secret: row.webhook_secret }]));
  }

  /**
   * Whether the tenant exists (every token names one). Tenants are never deleted, so an id found once is kept in
   * memory and later checks cost no statement; an unknown id is looked up every time (it may be created later).
   */
  async exists(tenantId: string): Promise<boolean> {
    if (this.known.has(tenantId)) return true;
    if (!(await this.tenants.findById(this.db, tenantId))) return false;
    if (this.known.size >= MAX_KNOWN_TENANTS) this.known.clear();
    this.known.add(tenantId);
    return true;
  }

  /** The tenant, or undefined when there is none with this id. */
  findById(tenantId: string): Promise<TenantRow | undefined> {
    return this.tenants.findById(this.db, tenantId);
  }

  async findTenant(tenantId: string): Promise<TenantRow> {
    const tenant = await this.findById(tenantId);
    if (!tenant) throw AppException.notFound(`tenant ${tenantId}`);
    return tenant;
  }

  listTenantIds(): Promise<string[]> {
    return this.tenants.listIds(this.db);
  }

  async getTenant(tenantId: string): Promise<TenantDto> {
    return TenantDto.from(await this.findTenant(tenantId));
  }

  async updateTenant(tenantId: string, changes: UpdateTenantDto): Promise<TenantDto> {
    if (changes.timezone !== undefined && !isValidTimezone(changes.timezone)) {
      throw AppException.validation(`unknown timezone "${changes.timezone}"`);
    }
    if (typeof changes.webhook_url === 'string') await this.checkWebhookUrl(changes.webhook_url);
    const updated = await this.tenants.update(this.db, tenantId, changes);
    if (!updated) throw AppException.notFound(`tenant ${tenantId}`);
    return TenantDto.from(updated);
  }

  /** Creates a key and returns it once; only its SHA-256 hash is stored. */
  async createApiKey(
    tenantId: string,
    scopes: string[],
    userId: string | null = null,
    name = 'api key',
  ): Promise<CreatedApiKey> {
    const { row, key } = await this.insertApiKey(tenantId, scopes, userId, name);
    return { id: row.id, key, tenantId, scopes: scopes as Scope[], userId };
  }

  /** The HTTP form of createApiKey: the key's listing plus the key itself, shown this once. */
  async issueApiKey(tenantId: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const { row, key } = await this.insertApiKey(tenantId, dto.scopes, dto.user_id ?? null, dto.name);
    return CreatedApiKeyDto.fromCreated(row, key);
  }

  async listApiKeys(tenantId: string): Promise<ApiKeyDto[]> {
    return (await this.apiKeys.list(this.db, tenantId)).map((row) => ApiKeyDto.from(row));
  }

  /** The tenant, user and scopes of an unrevoked key, by the SHA-256 hash of the key. */
  findActiveApiKey(keyHash: string): Promise<CredentialRow | undefined> {
    return this.apiKeys.findActiveByHash(this.db, keyHash);
  }

  async revokeApiKey(tenantId: string, id: string): Promise<void> {
    if (!isUuid(id) || !(await this.apiKeys.revoke(this.db, tenantId, id))) {
      throw AppException.notFound(`api key ${id}`);
    }
  }

  /** A webhook must be https (http only with WEBHOOK_ALLOW_HTTP) and reach public addresses only. */
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

  private async insertApiKey(
    tenantId: string,
    scopes: string[],
    userId: string | null,
    name: string,
  ): Promise<{ row: ApiKeyRow; key: string }> {
    await this.findTenant(tenantId);
    const unknown = scopes.filter((scope) => !SCOPES.includes(scope as Scope));
    if (scopes.length === 0 || unknown.length > 0) {
      throw AppException.validation(`scopes must be a non-empty list of ${SCOPES.join(', ')}`);
    }
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    return { row: await this.apiKeys.insert(this.db, tenantId, name, hashApiKey(key), scopes, userId), key };
  }
}
