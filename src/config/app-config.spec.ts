import { AppConfig, ConfigError } from './app-config';

describe(AppConfig.name, () => {
  it('applies the documented defaults', () => {
    const config = AppConfig.fromEnv({});
    expect(config.get('PORT')).toBe(3000);
    expect(config.get('DATABASE_URL')).toBeUndefined();
    expect(config.get('MIGRATIONS_RUN')).toBe(true);
    expect(config.get('MIN_COMPRESSION_RATIO')).toBe(0.8);
    expect(config.get('BATCH_SIZES')).toEqual({ excellent: 100, good: 50, fair: 25, poor: 10 });
    expect(config.get('PEAK_HOURS')).toEqual({ start: 9, end: 17 });
    expect(config.get('RATE_LIMIT_PER_MINUTE')).toBe(1200);
    expect(config.get('JWT_MAX_TTL_SECONDS')).toBe(86400);
    expect(config.get('RECORD_MAX_FIELDS')).toBe(2000);
    expect(config.get('AUTH_FAIL_LIMIT_PER_MINUTE')).toBe(60);
    expect(config.get('REDIS_URL')).toBeUndefined();
    expect(config.get('WEBHOOK_ALLOW_HTTP')).toBe(false);
    expect(config.get('WEBHOOK_ALLOWED_HOSTS')).toEqual([]);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['JWT_SECRET', 'short'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['MIN_COMPRESSION_RATIO', '1.5'],
    ['BATCH_SIZES', 'excellent=100,good=50'],
    ['BATCH_SIZES', 'excellent=100,good=50,fair=25,poor=0'],
    ['PEAK_HOURS', '17-9'],
    ['SCHEDULER_ENABLED', 'nope'],
    ['LOG_LEVEL', 'loud'],
    ['JWT_MAX_TTL_SECONDS', '0'],
    ['RECORD_MAX_FIELDS', 'many'],
    ['AUTH_FAIL_LIMIT_PER_MINUTE', '0'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
    ['WEBHOOK_ALLOW_HTTP', 'sometimes'],
    ['WEBHOOK_ALLOWED_HOSTS', 'hooks.internal,bad host'],
  ])('stops the boot when %s is %p, naming the variable', (name, value) => {
    expect(() => AppConfig.fromEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => AppConfig.fromEnv({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('reads booleans and custom batch sizes', () => {
    const config = AppConfig.fromEnv({
      SCHEDULER_ENABLED: 'false',
      BATCH_SIZES: 'poor=5,fair=10,good=20,excellent=40',
    });
    expect(config.get('SCHEDULER_ENABLED')).toBe(false);
    expect(config.get('BATCH_SIZES')).toEqual({ excellent: 40, good: 20, fair: 10, poor: 5 });
  });
});
