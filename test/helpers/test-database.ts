import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server tests run against, or undefined for the embedded database. */
export function serverUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && url.trim() !== '' ? url : undefined;
}

/**
 * The same server without a connection pooler in between: DATABASE_DIRECT_URL when DATABASE_URL goes through
 * PgBouncer (CI runs the e2e suite so), else DATABASE_URL. CREATE and DROP DATABASE, LISTEN and migrations use it.
 */
export function directServerUrl(): string | undefined {
  const url = process.env.DATABASE_DIRECT_URL;
  return url && url.trim() !== '' ? url : serverUrl();
}

export const usingPostgres = serverUrl() !== undefined;

export interface TestDatabase {
  /** URL of a fresh database, or undefined: the suite runs on an in-memory embedded database. */
  url: string | undefined;
  /** The same database without PgBouncer (equal to url when the tests run without one). */
  directUrl: string | undefined;
  drop(): Promise<void>;
}

/** The variables that point a service process or CLI run at this database (both URLs, so nothing inherits one). */
export function databaseEnv(database: TestDatabase): { DATABASE_URL: string; DATABASE_DIRECT_URL: string } {
  if (!database.url || !database.directUrl) throw new Error('databaseEnv needs a PostgreSQL test database');
  return { DATABASE_URL: database.url, DATABASE_DIRECT_URL: database.directUrl };
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Each suite gets its own fresh database on the server, so no suite sees another's rows. */
export async function createTestDatabase(suite: string): Promise<TestDatabase> {
  const pooled = serverUrl();
  const base = directServerUrl();
  if (!pooled || !base) return { url: undefined, directUrl: undefined, drop: async () => undefined };
  const name = `fs_${suite.replace(/\W+/g, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(pooled, name),
    directUrl: withDatabase(base, name),
    drop: async () => {
      const client = new Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** For suites that need several connections: say loudly when they cannot run here. */
export function describeWithPostgres(name: string, body: () => void): void {
  if (usingPostgres) {
    describe(name, body);
  } else {
    process.stderr.write(`\n[SKIPPED] "${name}" needs several database connections: set DATABASE_URL to run it\n`);
    describe.skip(`${name} (skipped: needs PostgreSQL, set DATABASE_URL)`, body);
  }
}
