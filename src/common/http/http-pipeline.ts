import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppException } from '../errors/app-exception';
import { BodyBudget, BodyGuardOptions, guardRequestBodies, hasBody } from './body-guard';
import type { MeteredRequest, SyncEventSink } from '../metering/sync-meter';
import { AdaptiveRule, compressResponses, decompressRequestBodies } from './compression';
import { createJsonBodyParser, MAX_JSON_DEPTH } from './json-body-parser';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** The client's X-Request-Id when it is a sane token, else a fresh UUID (the adapter's genReqId). */
export function requestIdOf(request: { headers: Record<string, string | string[] | undefined> }): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

export interface FinishedRequest {
  method: string;
  /** The route pattern, or 'unmatched'. */
  route: string;
  statusCode: number;
  durationMs: number;
}

/** Sees every finished HTTP request (the analytics module's metrics). */
export interface RequestObserver {
  observeRequest(request: FinishedRequest): void;
}

/** Checks the credential of a request to a protected route (throws the 401/429), before its body is read. */
export interface RequestAuthenticator {
  authenticate(request: FastifyRequest): Promise<void>;
}

export interface HttpPipelineOptions {
  bodyLimit: number;
  body: BodyGuardOptions;
  authenticator: RequestAuthenticator;
  /** Most members one object or array of a JSON request body may have. */
  jsonMaxMembers: number;
  compression: AdaptiveRule;
  requests: RequestObserver;
  syncEvents: SyncEventSink;
}

/**
 * Every HTTP concern that is not a route, in the order a request meets it: request id, the credential of a protected
 * route (before any body byte is read), the body's deadline and byte budget, body decoding and JSON
 * parsing, response compression with the sync meter's byte counts on either side of it, then the observers once the
 * response has left.
 */
export function registerHttpPipeline(app: NestFastifyApplication, options: HttpPipelineOptions): void {
  const fastify = app.getHttpAdapter().getInstance();
  app.useBodyParser(
    'application/json',
    { bodyLimit: options.bodyLimit },
    createJsonBodyParser(fastify, MAX_JSON_DEPTH, options.jsonMaxMembers),
  );
  registerHttpHooks(fastify, options);
}

/** The pipeline's Fastify hooks; hooks of one kind run in the order they are added here. */
export function registerHttpHooks(fastify: FastifyInstance, options: HttpPipelineOptions): void {
  echoRequestId(fastify);
  authenticateBeforeBody(fastify, options.authenticator);
  decompressRequestBodies(fastify, options.bodyLimit);
  guardRequestBodies(fastify, options.body, new BodyBudget(options.body.bytesInFlightMax));
  meterResponseBytes(fastify, 'bytesRaw');
  compressResponses(fastify, options.compression);
  meterResponseBytes(fastify, 'bytesSent');
  observeFinishedRequests(fastify, options.requests);
  recordSyncEvents(fastify, options.syncEvents);
}

function echoRequestId(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    return payload;
  });
}

/**
 * Routes without @Public() need a credential, checked in `onRequest`: an unauthenticated request is answered 401 (or
 * 429) without reading its body, and its connection is closed rather than drained. A body sent to no route is a 404
 * likewise. Public routes are GETs, whose bodies Fastify never parses. So no body of an unauthenticated client is
 * ever buffered.
 */
function authenticateBeforeBody(fastify: FastifyInstance, authenticator: RequestAuthenticator): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const body = hasBody(request);
    try {
      if (request.is404) {
        if (body) throw AppException.notFound(`Route ${request.method} ${request.url.split('?')[0]}`);
        return;
      }
      if (request.routeOptions.config?.public === true) return;
      await authenticator.authenticate(request);
    } catch (error) {
      if (body) void reply.header('connection', 'close');
      throw error;
    }
  });
}

/** Bytes of the response body as it stands at this point of the pipeline: before compression, then on the wire. */
function meterResponseBytes(fastify: FastifyInstance, field: 'bytesRaw' | 'bytesSent'): void {
  fastify.addHook('onSend', async (request: MeteredRequest, _reply, payload) => {
    if (request.syncMeter && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      request.syncMeter[field] = Buffer.byteLength(payload);
    }
    return payload;
  });
}

function observeFinishedRequests(fastify: FastifyInstance, observer: RequestObserver): void {
  fastify.addHook('onResponse', async (request, reply) => {
    observer.observeRequest({
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      statusCode: reply.statusCode,
      durationMs: reply.elapsedTime,
    });
  });
}

function recordSyncEvents(fastify: FastifyInstance, sink: SyncEventSink): void {
  fastify.addHook('onResponse', async (request: MeteredRequest, reply) => {
    if (!request.syncMeter) return;
    // Never fails or delays the response: the sink logs its own errors.
    void sink
      .record(request.syncMeter, reply.statusCode)
      .catch((error: unknown) => request.log.warn({ err: error }, 'sync event not recorded'));
  });
}
