import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyContextConfig, FastifyRequest } from 'fastify';
import type { Scope } from '../domain';
import { ErrorBodyDto } from '../http/error-body.dto';
import type { Principal } from './principal';

export const PUBLIC_KEY = 'fieldsync:public';
export const SCOPES_KEY = 'fieldsync:scopes';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by @Public(): the HTTP pipeline checks no credential before the body (every other route needs one). */
    public?: boolean;
  }
}

function markPublicRoute(handler: object): void {
  const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as FastifyContextConfig;
  Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, public: true }, handler);
}

/**
 * No credential needed (health, dashboard, metrics). Also marks the Fastify route config of each handler (of every
 * method, on a class), which the pipeline's `onRequest` credential check reads.
 */
export const Public =
  (): MethodDecorator & ClassDecorator => (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (descriptor) {
      SetMetadata(PUBLIC_KEY, true)(target, key as string | symbol, descriptor);
      markPublicRoute(descriptor.value as object);
      return;
    }
    SetMetadata(PUBLIC_KEY, true)(target as () => void);
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const member = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
      if (name !== 'constructor' && typeof member === 'function') markPublicRoute(member);
    }
  };

/** The caller needs at least one of these scopes; `admin` may call everything. */
export function RequireScopes(...scopes: Scope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(SCOPES_KEY, scopes),
    ApiBearerAuth(),
    ApiHeader({ name: 'X-Device-Id', required: false, description: 'Device id (1..128 chars) for device calls' }),
    ApiUnauthorizedResponse({ description: 'Missing or bad credential', type: ErrorBodyDto }),
    ApiForbiddenResponse({ description: 'Credential lacks the scope', type: ErrorBodyDto }),
    ApiTooManyRequestsResponse({ description: 'Rate limited', type: ErrorBodyDto }),
  );
}

export type AuthenticatedRequest = FastifyRequest & {
  /** Who the credential names, found before the body was read. */
  identity?: Omit<Principal, 'deviceId'>;
  principal?: Principal;
};

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return request.principal;
});
