import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DataSource } from 'typeorm';
import { root, Started, startProxy, violationsOf } from '../../scripts/lib/processes';
import { createApp } from '../../src/app.setup';
import { AppConfig, ConfigValues } from '../../src/config/app-config';
import { AuthService } from '../../src/modules/auth/auth.service';
import { TenantService } from '../../src/modules/tenant/tenant.service';
import { createTestDatabase, TestDatabase } from './test-database';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123';

/**
 * `E2E_THROUGH_PRISM=1`: every app also gets a Prism validation proxy (`--errors=false`, it forwards everything),
 * `call()` goes through it and appends each answer's violations to this file; scripts/prism-e2e-report.ts counts
 * them (docs/api.md, "Conformance"). Streams and raw-body requests use `t.url`, the app itself.
 */
export const THROUGH_PRISM = process.env.E2E_THROUGH_PRISM === '1';
export const PRISM_LOG = process.env.E2E_PRISM_LOG ?? join(root, 'test/artifacts/prism-e2e.jsonl');

export interface TestTenant {
  id: string;
  adminKey: string;
  syncKey: string;
  /** A sync key bound to a user. */
  syncKeyFor(userId: string): Promise<string>;
}

export interface TestApp {
  app: NestFastifyApplication;
  /** The app itself. */
  url: string;
  /** Where `call()` sends requests: the Prism proxy with `E2E_THROUGH_PRISM=1`, else `url`. */
  callUrl: string;
  db: DataSource;
  database: TestDatabase;
  config: AppConfig;
  createTenant(name?: string, timezone?: string): Promise<TestTenant>;
  token(tenantId: string, userId: string, scope: string, expiresIn?: number): string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Share a database another app or the suite created (several replicas); close() then leaves it in place. */
  database?: TestDatabase;
}

/** Boots the whole app on a fresh database (PostgreSQL when DATABASE_URL is set, else in-memory embedded). */
export async function startTestApp(
  suite: string,
  overrides: Partial<ConfigValues> = {},
  options: StartOptions = {},
): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase(suite));
  // TEST_LOG_LEVEL=error (or warn, info, ...) shows the app's JSON log lines, e.g. the cause of an unexpected 500.
  const logLevel = process.env.TEST_LOG_LEVEL;
  const config = AppConfig.fromEnv(
    {
      JWT_SECRET: TEST_JWT_SECRET,
      SCHEDULER_ENABLED: 'false',
      LOG_LEVEL: logLevel ?? 'silent',
      DB_POOL_SIZE: '10',
      // Every test client is 127.0.0.1: suites that send bad credentials on purpose must not lock each other out.
      AUTH_FAIL_LIMIT_PER_MINUTE: '1000000',
    },
    { DATABASE_URL: database.url, DATABASE_DIRECT_URL: database.directUrl, ...overrides },
  );
  const app = await createApp({ config, embeddedDir: null, ...(logLevel ? {} : { logger: false as const }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  let proxy: (Started & { url: string }) | null = null;
  if (THROUGH_PRISM) {
    try {
      proxy = await startProxy(url, false);
    } catch (error) {
      await app.close();
      if (!options.database) await database.drop();
      throw error;
    }
  }
  const tenants = app.get(TenantService);
  let counter = 0;
  return {
    app,
    url,
    callUrl: proxy?.url ?? url,
    db: app.get(DataSource),
    database,
    config,
    async createTenant(name = `tenant-${++counter}`, timezone = 'UTC') {
      const tenant = await tenants.createTenant(name, timezone);
      const admin = await tenants.createApiKey(tenant.id, ['admin'], 'admin-user', 'admin');
      const sync = await tenants.createApiKey(tenant.id, ['sync'], 'user-1', 'sync');
      return {
        id: tenant.id,
        adminKey: admin.key,
        syncKey: sync.key,
        syncKeyFor: async (userId: string) => (await tenants.createApiKey(tenant.id, ['sync'], userId)).key,
      };
    },
    token(tenantId: string, userId: string, scope: string, expiresIn = 3600) {
      return app.get(AuthService).issueToken({ tid: tenantId, sub: userId, scope }, expiresIn);
    },
    async close() {
      if (proxy) {
        const exited = new Promise((done) => proxy?.child.once('exit', done));
        proxy.child.kill('SIGTERM');
        await exited;
      }
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}

export interface CallOptions {
  key?: string;
  device?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Past the Prism proxy of `E2E_THROUGH_PRISM=1`, to the app itself (bodies Prism cannot forward). */
  direct?: boolean;
}

export interface CallResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A real HTTP call to the test app. */
export async function call<T = any>(
  t: TestApp,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.device) headers['x-device-id'] = options.device;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const base = options.direct ? t.url : t.callUrl;
  const response = await fetch(`${base}${path}`, { method, headers, body });
  if (base !== t.url) {
    const violations = violationsOf(response.headers);
    mkdirSync(dirname(PRISM_LOG), { recursive: true });
    const suite = expect.getState().testPath?.replace(`${root}/`, '');
    const test = expect.getState().currentTestName;
    appendFileSync(
      PRISM_LOG,
      `${JSON.stringify({ suite, test, method, path, status: response.status, violations })}\n`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Asserts the error body every failure has: `{ error: { code, message, details, request_id } }`, no stack. */
export function expectErrorBody(result: CallResult, status: number, code?: string): void {
  expect(result.status).toBe(status);
  expect(result.body).toEqual({
    error: {
      code: code ?? expect.any(String),
      message: expect.any(String),
      details: expect.any(Array),
      request_id: expect.any(String),
    },
  });
  expect(JSON.stringify(result.body)).not.toMatch(/\bat .+\.(ts|js):\d+/);
}
