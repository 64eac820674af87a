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

  private async fromToken(token: string): Promise<Omit<Principal, 'deviceId'>> {
    const secret = this.config.get('JWT_SECRET');
    if (!secret) throw unauthorized('Invalid credential');
    let payload: jwt.JwtPayload;
    try {
      const verified = jwt.verify(token, secret, { algorithms: ['HS256'] });
      if (typeof verified === 'string') throw new Error('string payload');
      payload = verified;
    } catch {
      throw unauthorized('Invalid or expired token');
    }
    const tenantId = typeof payload.tid === 'number' || typeof payload.tid === 'string' ? String(payload.tid) : '';
    const scopes = parseScopes(payload.scope);
    if (!tenantId || !payload.sub || scopes.length === 0) throw unauthorized('Token lacks tid, sub or scope');
    if (!(await this.tenants.findById(tenantId))) throw unauthorized('Unknown tenant');
    return { tenantId, userId: payload.sub, scopes, credentialId: `jwt:${tenantId}:${payload.sub}` };
  }
}
