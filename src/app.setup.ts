import { randomUUID } from 'node:crypto';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule, AppModuleOptions } from './app.module';
import { AllExceptionsFilter, sendError } from './common/errors/all-exceptions.filter';
import { createJsonBodyParser, MAX_JSON_DEPTH, MAX_JSON_MEMBERS } from './common/http/json-body-parser';
import { createValidationPipe } from './common/http/validation';
import { MeteredRequest, SYNC_EVENT_SINK, SyncEventSink } from './common/metering/sync-meter';
import { AppConfig } from './config/app-config';
import { registerHttpCompression } from './modules/bandwidth/http-compression';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface CreateAppOptions extends AppModuleOptions {
  config: AppConfig;
  /** Log JSON lines at LOG_LEVEL (default); false silences everything (tests). */
  logger?: boolean;
}

export async function createApp(options: CreateAppOptions): Promise<NestFastifyApplication> {
  const { config } = options;
  const adapter = new FastifyAdapter({
    bodyLimit: config.get('BODY_LIMIT_BYTES'),
    logger:
      options.logger === false ? false : { level: config.get('LOG_LEVEL'), redact: ['req.headers.authorization'] },
    genReqId: (request: { headers: Record<string, string | string[] | undefined> }) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
    },
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    // Bad URL encoding and over-long path parameters are answered by the router itself: give them the error body.
    frameworkErrors: (error: unknown, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    abortOnError: false,
    logger: options.logger === false ? false : new ConsoleLogger({ json: true, logLevels: ['error', 'warn', 'log'] }),
  });
  configureApp(app);
  await app.init();
  return app;
}

export function configureApp(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const config = app.get(AppConfig);
  const maxMembers = Math.max(MAX_JSON_MEMBERS, config.get('PUSH_MAX_ITEMS'), config.get('RECORD_MAX_FIELDS'));
  app.useBodyParser(
    'application/json',
    { bodyLimit: fastify.initialConfig.bodyLimit },
    createJsonBodyParser(fastify, MAX_JSON_DEPTH, maxMembers),
  );
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header('x-request-id', request.id);
    return payload;
  });
  registerHttpCompression(fastify, config);
  // Hooks that transform response bodies (compression) are registered above this line, so the meter sees the wire.
  fastify.addHook('onSend', async (request: MeteredRequest, _reply, payload) => {
    const meter = request.syncMeter;
    if (meter && meter.bytesSent === 0 && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
      meter.bytesSent = Buffer.byteLength(payload);
      if (meter.bytesRaw === 0) meter.bytesRaw = meter.bytesSent;
    }
    return payload;
  });
  const sink = optionalProvider<SyncEventSink>(app, SYNC_EVENT_SINK);
  fastify.addHook('onResponse', async (request: MeteredRequest, reply) => {
    if (!request.syncMeter || !sink) return;
    // Never fails or delays the response: the sink logs its own errors.
    void sink
      .record(request.syncMeter, reply.statusCode)
      .catch((error: unknown) => request.log.warn({ err: error }, 'sync event not recorded'));
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const options = new DocumentBuilder()
    .setTitle('fieldsync')
    .setDescription(
      'Sync backend for offline-first field-service mobile apps: push queued edits, conflict resolution by tenant ' +
        'policy, changes feed with deltas and compression, sync analytics.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key (fsk_...) or HS256 JWT' })
    .build();
  return SwaggerModule.createDocument(app, options);
}

function optionalProvider<T>(app: NestFastifyApplication, token: symbol): T | undefined {
  try {
    return app.get<T>(token, { strict: false });
  } catch {
    return undefined;
  }
}
