import 'reflect-metadata';
import { createApp } from './app.setup';
import { AppConfig, ConfigError } from './config/app-config';
import { errorMessage } from './common/errors/error-message';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = AppConfig.fromEnv();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const app = await createApp({ config });
  await app.listen({ port: config.get('PORT'), host: '0.0.0.0' });
  app
    .getHttpAdapter()
    .getInstance()
    .log.info(
      { port: config.get('PORT'), database: config.get('DATABASE_URL') ? 'postgresql' : 'embedded' },
      `fieldsync listening; docs at http://localhost:${config.get('PORT')}/docs`,
    );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`fieldsync failed to start: ${errorMessage(error)}\n`);
  process.exit(1);
});
