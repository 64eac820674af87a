import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
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

export interface HttpPipelineOptions {
  bodyLimit: number;
  /** Most members one object or array of a JSON request body may have. */
  jsonMaxMembers: number;
  compression: AdaptiveRule;
  requests: RequestObserver;
  syncEvents: SyncEventSink;
}

/**
 * Every HTTP concern that is not a route, in the order a request meets it: request id, body decoding and JSON
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
  decompressRequestBodies(fastify, options.bodyLimit);
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
