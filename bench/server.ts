// The app under test in its own process, so its RSS and CPU are its own. Driven by bench/run.ts over IPC.
import 'reflect-metadata';
import { createApp } from '../src/app.setup';
import { AppConfig } from '../src/config/app-config';
import { AuthService } from '../src/modules/auth/auth.service';
import { QueueDrainService } from '../src/modules/queue/queue-drain.service';
import { SyncPurgeService } from '../src/modules/sync/sync-purge.service';
import { TenantService } from '../src/modules/tenant/tenant.service';
import type { RpcReply, RpcRequest } from './lib/app-server';

export const BENCH_JWT_SECRET = 'bench-secret-bench-secret-bench-secret-01';

async function main(): Promise<void> {
  const config = AppConfig.fromEnv({
    DATABASE_URL: process.env.BENCH_DATABASE_URL,
    // Set when BENCH_DATABASE_URL goes through PgBouncer (push-replicas case): migrations and LISTEN bypass it.
    DATABASE_DIRECT_URL: process.env.BENCH_DATABASE_DIRECT_URL,
    JWT_SECRET: BENCH_JWT_SECRET,
    SCHEDULER_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '10',
    // The bench drives thousands of requests per minute per credential: the limiter still runs, it never trips.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    // Bench-only baseline knob (push-scopes case): skip write checks and scope keys.
    BENCH_SKIP_SCOPES: process.env.BENCH_SKIP_SCOPES ?? 'false',
  });
  const app = await createApp({ config, embeddedDir: null, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const handle = async (request: RpcRequest): Promise<unknown> => {
    switch (request.op) {
      case 'tenant':
        return (await app.get(TenantService).createTenant(request.name, 'UTC')).id;
      case 'token':
        return app
          .get(AuthService)
          .issueToken({ tid: request.tenantId, sub: request.userId, scope: request.scope }, 24 * 3600);
      case 'drain': {
        let total = 0;
        for (let n = await app.get(QueueDrainService).drain(request.maxBatches); n > 0;) {
          total += n;
          n = await app.get(QueueDrainService).drain(request.maxBatches);
        }
        return total;
      }
      case 'gc':
        (globalThis as { gc?: () => void }).gc?.();
        return process.memoryUsage();
      case 'purge':
        return app.get(SyncPurgeService).runPurge();
      case 'close':
        await app.close();
        setImmediate(() => process.exit(0));
        return true;
    }
  };
  process.on('message', (message: RpcRequest) => {
    handle(message).then(
      (result) => process.send?.({ id: message.id, result } satisfies RpcReply),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          error: error instanceof Error ? error.message : String(error),
        } satisfies RpcReply),
    );
  });
  process.send?.({ id: 0, result: `http://127.0.0.1:${port}` } satisfies RpcReply);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
