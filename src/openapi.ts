import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildOpenApiDocument, createApp } from './app.setup';
import { AppConfig } from './config/app-config';

/** Writes the OpenAPI document (from the compiled app, with the swagger plugin's metadata) to a file. */
export async function writeOpenApi(target: string): Promise<void> {
  const config = AppConfig.fromEnv({ SCHEDULER_ENABLED: 'false', LOG_LEVEL: 'silent' });
  const app = await createApp({ config, embeddedDir: null, logger: false });
  try {
    const document = buildOpenApiDocument(app);
    writeFileSync(target, `${JSON.stringify(document, null, 2)}\n`);
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  const target = resolve(process.argv[2] ?? 'openapi.json');
  writeOpenApi(target).then(
    () => process.stdout.write(`wrote ${target}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
