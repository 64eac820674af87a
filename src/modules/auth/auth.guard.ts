import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticatedRequest, PUBLIC_KEY, SCOPES_KEY } from '../../common/auth/auth.decorators';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import type { Scope } from '../../common/domain';
import { AppConfig } from '../../config/app-config';
import { AuthService } from './auth.service';
import { RateLimiter } from './rate-limiter';

const DEVICE_ID = /^[\x21-\x7e]{1,128}$/;

/** The one guard: credential → principal, scope check, per-credential rate limit, X-Device-Id. */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly limiter: RateLimiter;

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    config: AppConfig,
  ) {
    this.limiter = new RateLimiter(config.get('RATE_LIMIT_PER_MINUTE'));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets) ?? ['admin'];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const identity = await this.auth.authenticate(request.headers.authorization);

    const retryAfter = this.limiter.take(identity.credentialId);
    if (retryAfter > 0) {
      throw new AppException(ErrorCode.RateLimited, 'Too many requests for this credential', [], {
        'retry-after': String(retryAfter),
      });
    }
    if (!identity.scopes.includes('admin') && !required.some((scope) => identity.scopes.includes(scope))) {
      throw new AppException(ErrorCode.Forbidden, `This endpoint needs scope ${required.join(' or ')}`);
    }
    const header = request.headers['x-device-id'];
    const deviceId = Array.isArray(header) ? header[0] : header;
    if (deviceId !== undefined && !DEVICE_ID.test(deviceId)) {
      throw AppException.validation('X-Device-Id must be 1..128 printable characters');
    }
    request.principal = { ...identity, deviceId: deviceId ?? null };
    return true;
  }
}
