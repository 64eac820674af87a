import { createSecretKey, KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AppConfig } from '../../config/app-config';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import { SCOPES, Scope } from '../../common/domain';
import type { Principal } from '../../common/auth/principal';
import { API_KEY_PREFIX, hashApiKey, TenantService } from '../tenant/tenant.service';

export interface TokenClaims {
  tid: string;
  sub: string;
  scope: string;
}

function unauthorized(message: string): AppException {
  return new AppException(ErrorCode.Unauthorized, message, [], { 'www-authenticate': 'Bearer' });
}

/** Clock difference between issuers and this server tolerated for `iat`. */
export const JWT_IAT_LEEWAY_SECONDS = 60;

/**
 * The JWT rules jsonwebtoken does not enforce: `exp` required and at most `maxTtl` after `iat` (or now), no
 * future `iat`, no `crit` header (this server implements no extension), `sub` a string, `tid` a tenant id (digits,
 * as a string or a safe integer).
 * Returns what is wrong, or null.
 */
export function jwtRuleViolation(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  nowSeconds: number,
  maxTtlSeconds: number,
): string | null {
  if (header.crit !== undefined) return 'unsupported crit header';
  const { exp, iat, sub, tid } = payload;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp is required';
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return 'iat must be a number';
  if (typeof iat === 'number' && iat > nowSeconds + JWT_IAT_LEEWAY_SECONDS) return 'iat is in the future';
  const issuedAt = typeof iat === 'number' ? iat : nowSeconds;
  if (exp - issuedAt > maxTtlSeconds) return `exp is more than ${maxTtlSeconds} s after iat`;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 128) return 'sub must be a string of 1..128';
  if (tenantIdOf(tid) === null) return 'tid must be a tenant id';
  return null;
}

const TENANT_ID = /^[1-9]\d{0,17}$/;

function tenantIdOf(tid: unknown): string | null {
  const text = typeof tid === 'number' && Number.isSafeInteger(tid) ? String(tid) : tid;
  return typeof text === 'string' && TENANT_ID.test(text) ? text : null;
}

function parseScopes(raw: unknown): Scope[] {
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  return list.filter((scope): scope is Scope => SCOPES.includes(scope as Scope));
}

@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly tenants: TenantService,
  ) {}

  /** Turns an Authorization header into the caller's principal, or throws 401. */
  async authenticate(authorization: string | undefined): Promise<Omit<Principal, 'deviceId'>> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) throw unauthorized('Missing bearer credential');
    const credential = match[1];
    return credential.startsWith(API_KEY_PREFIX) ? this.fromApiKey(credential) : this.fromToken(credential);
  }

  issueToken(claims: TokenClaims, expiresInSeconds = 3600): string {
    const secret = this.config.get('JWT_SECRET');
    if (!secret) throw AppException.validation('JWT_SECRET is not configured; tokens cannot be issued');
    const maxTtl = this.config.get('JWT_MAX_TTL_SECONDS');
    if (expiresInSeconds > maxTtl)
      throw AppException.validation(`a token lives at most ${maxTtl} s (JWT_MAX_TTL_SECONDS)`);
    return jwt.sign({ tid: claims.tid, scope: claims.scope }, secret, {
      algorithm: 'HS256',
      subject: claims.sub,
      expiresIn: expiresInSeconds,
    });
  }

  private async fromApiKey(key: string): Promise<Omit<Principal, 'deviceId'>> {
    if (key.length > 200) throw unauthorized('Invalid API key');
    const row = await this.tenants.findActiveApiKey(hashApiKey(key));
    if (!row) throw unauthorized('Invalid or revoked API key');
    return {
      tenantId: row.tenant_id,
      userId: row.user_id,
      scopes: parseScopes(row.scopes),
      credentialId: `key:${row.id}`,
    };
  }

  /** The secret as a key object, built once per secret (jsonwebtoken would build one for every token). */
  private secretKey?: { secret: string; key: KeyObject };

  private keyOf(secret: string): KeyObject {
    if (this.secretKey?.secret !== secret) this.secretKey = { secret, key: createSecretKey(Buffer.from(secret)) };
    return this.secretKey.key;
  }

  private async fromToken(token: string): Promise<Omit<Principal, 'deviceId'>> {
    const secret = this.config.get('JWT_SECRET');
    if (!secret) throw unauthorized('Invalid credential');
    let verified: jwt.Jwt;
    try {
      verified = jwt.verify(token, this.keyOf(secret), { algorithms: ['HS256'], complete: true });
    } catch {
      throw unauthorized('Invalid or expired token');
    }
    const payload = verified.payload;
    if (typeof payload === 'string') throw unauthorized('Invalid token');
    const violation = jwtRuleViolation(
      verified.header as unknown as Record<string, unknown>,
      payload,
      Math.floor(Date.now() / 1000),
      this.config.get('JWT_MAX_TTL_SECONDS'),
    );
    if (violation) throw unauthorized(`Invalid token: ${violation}`);
    const tenantId = tenantIdOf(payload.tid) as string;
    const userId = payload.sub as string;
    const scopes = parseScopes(payload.scope);
    if (scopes.length === 0) throw unauthorized('Token lacks scope');
    if (!(await this.tenants.exists(tenantId))) throw unauthorized('Unknown tenant');
    return { tenantId, userId, scopes, credentialId: `jwt:${tenantId}:${userId}` };
  }
}
