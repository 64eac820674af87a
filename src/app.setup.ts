import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronTime } from 'cron';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule, AppModuleOptions } from './app.module';
import { AllExceptionsFilter, sendError } from './common/errors/all-exceptions.filter';
import { answerClientError } from './common/http/client-errors';
import { registerHttpPipeline, requestIdOf } from './common/http/http-pipeline';
import { MAX_JSON_MEMBERS } from './common/http/json-body-parser';
import { createValidationPipe } from './common/http/validation';
import { finishOpenApiDocument, operationIdFactory, refineValidatedModels } from './common/http/openapi-document';
import { AppConfig } from './config/app-config';
import { MetricsService } from './modules/analytics/metrics.service';
import { RequestAuthenticator } from './modules/auth/auth.guard';
import { SyncEventRecorder } from './modules/analytics/sync-event.recorder';

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
    genReqId: requestIdOf,
    forceCloseConnections: 'idle',
    // Backstop of BODY_TIMEOUT_MS for bodies no parser reads (Node answers a bare 408 and closes the connection).
    requestTimeout: config.get('BODY_TIMEOUT_MS') + 10_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
    // Bad URL encoding and over-long path parameters are answered by the router itself: give them the error body.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error: unknown, request: FastifyRequest, reply: FastifyReply) => sendError(error, request, reply),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    abortOnError: false,
    logger: options.logger === false ? false : new ConsoleLogger({ json: true, logLevels: ['error', 'warn', 'log'] }),
  });
  configureApp(app);
  app.getHttpServer().maxConnections = config.get('HTTP_MAX_CONNECTIONS');
  await app.init();
  const tick = config.get('SCHEDULER_TICK_SECONDS');
  if (config.get('SCHEDULER_ENABLED') && tick !== undefined) retimeCronJobs(app.get(SchedulerRegistry), tick);
  return app;
}

/**
 * Tests only: every cron task fires every `seconds` seconds, on the same wall-clock boundaries in every replica, so
 * a multi-replica test sees many windows in a minute. The tasks' own locks and unique keys are unchanged.
 */
function retimeCronJobs(registry: SchedulerRegistry, seconds: number): void {
  for (const job of registry.getCronJobs().values()) job.setTime(new CronTime(`*/${seconds} * * * * *`, 'UTC'));
}

function configureApp(app: NestFastifyApplication): void {
  const config = app.get(AppConfig);
  registerHttpPipeline(app, {
    bodyLimit: config.get('BODY_LIMIT_BYTES'),
    body: { timeoutMs: config.get('BODY_TIMEOUT_MS'), bytesInFlightMax: config.get('BODY_BYTES_IN_FLIGHT_MAX') },
    authenticator: app.get(RequestAuthenticator),
    jsonMaxMembers: Math.max(MAX_JSON_MEMBERS, config.get('PUSH_MAX_ITEMS'), config.get('RECORD_MAX_FIELDS')),
    compression: {
      thresholdBytes: config.get('COMPRESSION_THRESHOLD_BYTES'),
      minRatio: config.get('MIN_COMPRESSION_RATIO'),
    },
    requests: app.get(MetricsService),
    syncEvents: app.get(SyncEventRecorder),
  });
  app.useGlobalFilters(new AllExceptionsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  publicRoutes(app, () =>
    SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' }),
  );
}

/** Routes `register` adds (the documentation) are public: no credential is checked before their body. */
function publicRoutes(app: NestFastifyApplication, register: () => void): void {
  const fastify = app.getHttpAdapter().getInstance();
  let registering = true;
  fastify.addHook('onRoute', (route) => {
    if (registering) route.config = { ...route.config, public: true };
  });
  register();
  registering = false;
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
  refineValidatedModels();
  return finishOpenApiDocument(SwaggerModule.createDocument(app, options, { operationIdFactory }));
}
