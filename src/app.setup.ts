import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule, AppModuleOptions } from './app.module';
import { AllExceptionsFilter, sendError } from './common/errors/all-exceptions.filter';
import { registerHttpPipeline, requestIdOf } from './common/http/http-pipeline';
import { MAX_JSON_MEMBERS } from './common/http/json-body-parser';
import { createValidationPipe } from './common/http/validation';
import { finishOpenApiDocument, operationIdFactory, refineValidatedModels } from './common/http/openapi-document';
import { AppConfig } from './config/app-config';
import { MetricsService } from './modules/analytics/metrics.service';
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

function configureApp(app: NestFastifyApplication): void {
  const config = app.get(AppConfig);
  registerHttpPipeline(app, {
    bodyLimit: config.get('BODY_LIMIT_BYTES'),
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
  refineValidatedModels();
  return finishOpenApiDocument(SwaggerModule.createDocument(app, options, { operationIdFactory }));
}
