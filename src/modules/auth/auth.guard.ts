import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthenticatedRequest, PUBLIC_KEY, SCOPES_KEY } from '../../common/auth/auth.decorators';
import type { Principal } from '../../common/auth/principal';
import { AppException, ErrorCode } from '../../common/errors/app-exception';
import type { Scope } from '../../common/domain';
import type { RequestAuthenticator as EarlyAuthenticator } from '../../common/http/http-pipeline';
import { AuthService } from './auth.service';
import { RateLimits } from './rate-limiter';

const DEVICE_ID = /^[\x21-\x7e]{1,128}$/;

function rateLimited(message: string, retryAfter: number): AppException {
  return new AppException(ErrorCode.RateLimited, message, [], { 'retry-after': String(retryAfter) });
}

/**
 * Credential → identity, under the failed-authentication limit per client address. An address that used its failure
 * allowance gets 429 for every request until the window ends, so guessing cannot continue with requests that happen
 * to be right. The HTTP pipeline calls it from an `onRequest` hook, before a byte of the body is read; the guard
 * reuses what it found.
 */
@Injectable()
export class RequestAuthenticator implements EarlyAuthenticator {
  constructor(
    private readonly auth: AuthService,
    private readonly limits: RateLimits,
  ) {}

  async authenticate(request: FastifyRequest): Promise<void> {
    const authenticated = request as AuthenticatedRequest;
    authenticated.identity ??= await this.identify(request);
  }

  async identify(request: FastifyRequest): Promise<Omit<Principal, 'deviceId'>> {
    const blocked = await this.limits.peek('auth_failure', request.ip);
    if (blocked > 0) throw rateLimited('Too many failed authentications from this address', blocked);
    return this.auth.authenticate(request.headers.authorization).catch(async (error: unknown) => {
      if (error instanceof AppException && error.code === ErrorCode.Unauthorized) {
        const retryAfter = await this.limits.take('auth_failure', request.ip);
        if (retryAfter > 0) throw rateLimited('Too many failed authentications from this address', retryAfter);
      }
      throw error;
    });
  }
}

/**
 * The one guard: the identity (found before the body by the pipeline's hook, or here), scope check,
 * per-credential rate limit, X-Device-Id.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: RequestAuthenticator,
    private readonly limits: RateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets) ?? ['admin'];
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const identity = request.identity ?? (await this.authenticator.identify(request));

    const retryAfter = await this.limits.take('credential', identity.credentialId);
    if (retryAfter > 0) throw rateLimited('Too many requests for this credential', retryAfter);
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
