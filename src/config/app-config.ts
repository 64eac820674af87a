import { NETWORK_QUALITIES, NetworkQuality } from '../common/domain';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
  }
}

type Env = Record<string, string | undefined>;

interface VariableSpec<T> {
  description: string;
  default: string | undefined;
  parse(raw: string, name: string): T;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string, name: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
    return value;
  };
}

function decimal(min: number, max: number) {
  return (raw: string, name: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(name, `must be a number, got "${raw}"`);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
    return value;
  };
}

function boolean(raw: string, name: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(value)) return true;
  if (['false', '0', 'no'].includes(value)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function optionalString(raw: string): string | undefined {
  return raw.trim() === '' ? undefined : raw.trim();
}

function databaseUrl(raw: string, name: string): string | undefined {
  const value = optionalString(raw);
  if (value === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(value)) throw new ConfigError(name, 'must be a postgres:// or postgresql:// URL');
  return value;
}

function redisUrl(raw: string, name: string): string | undefined {
  const value = optionalString(raw);
  if (value !== undefined && !/^rediss?:\/\/[^\s]+$/.test(value)) {
    throw new ConfigError(name, 'must be a redis:// or rediss:// URL');
  }
  return value;
}

function hostList(raw: string, name: string): string[] {
  const hosts = raw
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  const bad = hosts.find((host) => !/^[a-z0-9.:[\]_-]+$/.test(host));
  if (bad !== undefined) throw new ConfigError(name, `has an invalid host "${bad}"`);
  return hosts;
}

function jwtSecret(raw: string, name: string): string | undefined {
  const value = optionalString(raw);
  if (value !== undefined && value.length < 32) throw new ConfigError(name, 'must be at least 32 characters long');
  return value;
}

function batchSizes(raw: string, name: string): Record<NetworkQuality, number> {
  const sizes: Partial<Record<NetworkQuality, number>> = {};
  for (const pair of raw.split(',')) {
    const [key, value] = pair.split('=').map((part) => part.trim());
    if (!NETWORK_QUALITIES.includes(key as NetworkQuality)) {
      throw new ConfigError(name, `has an unknown network quality "${key}" (expected ${NETWORK_QUALITIES.join(', ')})`);
    }
    sizes[key as NetworkQuality] = integer(1, 1000)(value ?? '', name);
  }
  const missing = NETWORK_QUALITIES.filter((quality) => sizes[quality] === undefined);
  if (missing.length > 0) throw new ConfigError(name, `is missing ${missing.join(', ')}`);
  return sizes as Record<NetworkQuality, number>;
}

function hourRange(raw: string, name: string): { start: number; end: number } {
  const match = /^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$/.exec(raw);
  if (!match) throw new ConfigError(name, `must look like 9-17, got "${raw}"`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start > 23 || end > 23 || start > end)
    throw new ConfigError(name, `must be two hours 0..23 with start <= end, got "${raw}"`);
  return { start, end };
}

function logLevel(raw: string, name: string): string {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!levels.includes(raw)) throw new ConfigError(name, `must be one of ${levels.join(', ')}`);
  return raw;
}

const spec = {
  PORT: { description: 'HTTP port', default: '3000', parse: integer(0, 65535) },
  DATABASE_URL: {
    description: 'PostgreSQL URL; unset runs the embedded PGlite database in DATA_DIR',
    default: undefined,
    parse: databaseUrl,
  },
  DATABASE_DIRECT_URL: {
    description: 'PostgreSQL URL without PgBouncer: migrations and LISTEN (see docs/scale.md)',
    default: undefined,
    parse: databaseUrl,
  },
  DATA_DIR: { description: 'Folder of the embedded database', default: './.data', parse: (raw: string) => raw },
  DB_POOL_SIZE: { description: 'PostgreSQL connection pool size', default: '10', parse: integer(1, 200) },
  JWT_SECRET: {
    description: 'HS256 secret for JWT credentials (>= 32 chars); unset accepts API keys only',
    default: undefined,
    parse: jwtSecret,
  },
  JWT_MAX_TTL_SECONDS: {
    description: 'Longest JWT lifetime accepted: exp at most this long after iat (or now)',
    default: '86400',
    parse: integer(60, 31_536_000),
  },
  MIGRATIONS_RUN: { description: 'Run pending migrations at start-up', default: 'true', parse: boolean },
  COMPRESSION_THRESHOLD_BYTES: {
    description: 'Smallest body worth compressing',
    default: '1024',
    parse: integer(0),
  },
  MIN_COMPRESSION_RATIO: {
    description: 'Compress only when compressed/original is below this',
    default: '0.8',
    parse: decimal(0.01, 1),
  },
  BATCH_SIZES: {
    description: 'Batch size per network quality',
    default: 'excellent=100,good=50,fair=25,poor=10',
    parse: batchSizes,
  },
  QUEUE_HEALTHY_THRESHOLD: {
    description: 'Pending items below which a queue is healthy',
    default: '100',
    parse: integer(1),
  },
  HIGH_PRIORITY_THRESHOLD: {
    description: 'High-priority pending items below which a queue is healthy',
    default: '20',
    parse: integer(1),
  },
  DEVICE_HEALTH_THRESHOLD: {
    description: 'Health score below which a device is unhealthy',
    default: '70',
    parse: integer(0, 100),
  },
  ANALYTICS_SNAPSHOT_INTERVAL_HOURS: {
    description: 'Window of the scheduled snapshot',
    default: '1',
    parse: integer(1, 720),
  },
  PEAK_HOURS: { description: 'Peak hours (inclusive) in the tenant timezone', default: '9-17', parse: hourRange },
  PUSH_MAX_ITEMS: { description: 'Most items in one push', default: '1000', parse: integer(1, 100000) },
  BODY_LIMIT_BYTES: {
    description: 'Largest request body, after decompression',
    default: '10485760',
    parse: integer(1024),
  },
  BODY_TIMEOUT_MS: {
    description: 'A request body must arrive within this long after its headers (408 otherwise)',
    default: '30000',
    parse: integer(100, 3_600_000),
  },
  BODY_BYTES_IN_FLIGHT_MAX: {
    description: 'Most request body bytes being received or held per replica; new uploads beyond get 503',
    default: '268435456',
    parse: integer(1024),
  },
  HTTP_MAX_CONNECTIONS: {
    description: 'Most open HTTP connections per replica (further connections are closed at once)',
    default: '10000',
    parse: integer(1, 1_000_000),
  },
  RECORD_MAX_BYTES: { description: 'Largest record data (compact JSON)', default: '262144', parse: integer(64) },
  RECORD_MAX_FIELDS: {
    description: 'Most fields in one record, nested fields and array items included',
    default: '2000',
    parse: integer(1, 1_000_000),
  },
  PULL_MAX_BYTES: {
    description: 'Most record JSON in one pull page (at least one record is always sent)',
    default: '4194304',
    parse: integer(1024),
  },
  LIST_MAX_BYTES: {
    description: 'Most entry JSON in one conflict list page (at least one entry is always sent)',
    default: '4194304',
    parse: integer(1024),
  },
  REVISION_RETENTION_DAYS: {
    description: 'Days record revisions are kept (older ones go once every active device has seen the record)',
    default: '30',
    parse: integer(1),
  },
  SYNC_EVENT_RETENTION_DAYS: {
    description: 'Days sync_event rows are kept (whole daily partitions are dropped after that; snapshots stay)',
    default: '90',
    parse: integer(1, 3650),
  },
  PARTITION_DAYS_AHEAD: {
    description: 'Daily partitions of sync_event created ahead of today (at startup and every day)',
    default: '7',
    parse: integer(1, 365),
  },
  SCOPE_CHANGE_PARTITION_SIZE: {
    description: 'change_seq positions per scope_change partition (the history purge drops whole ones)',
    default: '1000000',
    parse: integer(1000, 1_000_000_000_000),
  },
  SCOPE_CHANGE_PARTITIONS_AHEAD: {
    description: 'Empty scope_change partitions kept above the sequence (created at startup and every hour)',
    default: '2',
    parse: integer(1, 1000),
  },
  DEVICE_ACTIVE_DAYS: {
    description: 'A device seen within this many days holds back the purge of history it has not pulled yet',
    default: '30',
    parse: integer(1, 3650),
  },
  TOMBSTONE_MIN_AGE_DAYS: {
    description: 'Tombstones and revisions younger than this are never purged',
    default: '7',
    parse: integer(0, 3650),
  },
  QUEUE_RESULT_RETENTION_DAYS: {
    description: 'Days processed queue items (the results a retried push replays) are kept',
    default: '30',
    parse: integer(1, 3650),
  },
  PURGE_BATCH_SIZE: {
    description: 'Rows deleted per short transaction by the history purge',
    default: '5000',
    parse: integer(1, 1_000_000),
  },
  PURGE_PAUSE_RATIO: {
    description:
      'Pause of the history purge after each batch, as a multiple of that batch time (0: none; 1: half the time)',
    default: '1',
    parse: decimal(0, 100),
  },
  RATE_LIMIT_PER_MINUTE: { description: 'Requests per minute per credential', default: '1200', parse: integer(1) },
  AUTH_FAIL_LIMIT_PER_MINUTE: {
    description: 'Failed authentications per minute per client address before 429',
    default: '60',
    parse: integer(1),
  },
  REDIS_URL: {
    description: 'Redis shared by the replicas for rate limits; unset: each replica counts in memory',
    default: undefined,
    parse: redisUrl,
  },
  REDIS_KEY_PREFIX: {
    description: 'Prefix of every Redis key, for a Redis shared with other services',
    default: 'fieldsync:',
    parse: (raw: string) => raw,
  },
  WEBHOOK_ALLOW_HTTP: {
    description: 'Accept http: webhook URLs (https: only otherwise)',
    default: 'false',
    parse: boolean,
  },
  WEBHOOK_ALLOWED_HOSTS: {
    description: 'Webhook hosts exempt from the public-address rule (comma-separated; in-cluster receivers)',
    default: '',
    parse: hostList,
  },
  METRICS_TOKEN: {
    description: 'Bearer token GET /metrics requires; unset: only loopback clients may scrape',
    default: undefined,
    parse: optionalString,
  },
  SCHEDULER_ENABLED: { description: 'Run the scheduled tasks', default: 'true', parse: boolean },
  SCHEDULER_TICK_SECONDS: {
    description: 'Tests only: every cron task runs every N seconds instead of its schedule',
    default: undefined,
    parse: integer(1, 59),
  },
  BENCH_SKIP_SCOPES: {
    description: 'Bench baseline only: push skips write checks and scope keys (never set in production)',
    default: 'false',
    parse: boolean,
  },
  ALERT_SUCCESS_RATE_MIN_PCT: {
    description: 'Alert when a snapshot success rate is below',
    default: '90',
    parse: decimal(0, 100),
  },
  ALERT_CONFLICT_RATE_MAX_PCT: {
    description: 'Alert when a snapshot conflict rate is above',
    default: '10',
    parse: decimal(0, 100),
  },
  ALERT_UNHEALTHY_DEVICES_MAX: {
    description: 'Alert when more devices than this score below 50',
    default: '10',
    parse: integer(0),
  },
  STREAM_MAX_CONNECTIONS: {
    description: 'Most open change streams (and waiting long polls) per replica (503 beyond)',
    default: '5000',
    parse: integer(0, 1_000_000),
  },
  STREAM_HEARTBEAT_MS: { description: 'Interval of the change stream heartbeat', default: '25000', parse: integer(10) },
  STREAM_RETRY_MS: {
    description: 'Reconnect delay a change stream suggests to clients (retry:)',
    default: '3000',
    parse: integer(0),
  },
  STREAM_MAX_BUFFERED_BYTES: {
    description: 'Unsent bytes of one change stream beyond which the slow reader is cut off',
    default: '4194304',
    parse: integer(1024),
  },
  LOG_LEVEL: { description: 'Log level (JSON lines on stdout)', default: 'info', parse: logLevel },
} satisfies Record<string, VariableSpec<unknown>>;

type Spec = typeof spec;
export type ConfigValues = { readonly [K in keyof Spec]: ReturnType<Spec[K]['parse']> };

export const CONFIG_VARIABLES: ReadonlyArray<{ name: string; default: string | undefined; description: string }> =
  Object.entries(spec).map(([name, variable]) => ({
    name,
    default: variable.default,
    description: variable.description,
  }));

/** The one validated configuration, read once at boot; nothing else reads process.env. */
export class AppConfig {
  private constructor(readonly values: ConfigValues) {}

  static fromEnv(env: Env = process.env, overrides: Partial<ConfigValues> = {}): AppConfig {
    const values: Record<string, unknown> = {};
    for (const [name, variable] of Object.entries(spec) as Array<[string, VariableSpec<unknown>]>) {
      const raw = env[name] ?? variable.default;
      values[name] = raw === undefined ? undefined : variable.parse(raw, name);
    }
    return new AppConfig({ ...(values as ConfigValues), ...overrides });
  }

  get<K extends keyof ConfigValues>(name: K): ConfigValues[K] {
    return this.values[name];
  }

  with(overrides: Partial<ConfigValues>): AppConfig {
    return new AppConfig({ ...this.values, ...overrides });
  }
}
