import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants';
import type { FastifyContextConfig } from 'fastify';

/**
 * Marks a handler whose responses the HTTP pipeline compresses by Accept-Encoding under the adaptive rule. It adds to
 * the handler's Fastify route config (what @RouteConfig() sets) rather than replacing it.
 */
export function CompressResponse(): MethodDecorator {
  return (_target, _key, descriptor) => {
    const handler = descriptor.value as object;
    const config = (Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) ?? {}) as FastifyContextConfig;
    Reflect.defineMetadata(FASTIFY_ROUTE_CONFIG_METADATA, { ...config, compressResponse: true }, handler);
  };
}
