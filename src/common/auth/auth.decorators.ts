import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiHeader,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { Scope } from '../domain';
import { ErrorBodyDto } from '../http/error-body.dto';
import type { Principal } from './principal';

export const PUBLIC_KEY = 'fieldsync:public';
export const SCOPES_KEY = 'fieldsync:scopes';

/** No credential needed (health, docs, metrics). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true);

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

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a route without authentication');
  return request.principal;
});
