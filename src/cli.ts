import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { AppConfig, ConfigError } from './config/app-config';
import { dataSourceOptions, isEmbedded } from './database/data-source-options';
import { runMigrations } from './database/migrations.service';
import { ENTITIES } from './entities';
import { DeviceHealthService } from './modules/analytics/device-health.service';
import { ReportService } from './modules/analytics/report.service';
import { SnapshotService } from './modules/analytics/snapshot.service';
import { AuthService } from './modules/auth/auth.service';
import { DirectoryService } from './modules/scope/directory.service';
import { ScopeApplyService } from './modules/scope/scope-apply.service';
import { InvariantService } from './modules/record-shape/invariant.service';
import { RecordSchemaService, requirePutSchemaRequest } from './modules/record-shape/record-schema.service';
import { TenantService } from './modules/tenant/tenant.service';
import { AppException } from './common/errors/app-exception';
import { errorMessage } from './common/errors/error-message';
import { describeSnapshot, describeUnhealthyDevice, tenantProgress } from './cli/analytics-output';

type Flags = Record<string, string | boolean | undefined>;
type Print = (line: string) => void;

interface Command {
  usage: string;
  /** Commands that only need the database get no Nest context. */
  needsContext: boolean;
  run(flags: Flags, context: { app?: INestApplicationContext; config: AppConfig; print: Print }): Promise<void>;
}

function required(flags: Flags, name: string): string {
  const value = flags[name];
  if (typeof value !== 'string' || value.trim() === '') throw new CliError(`--${name} is required`);
  return value.trim();
}

function optional(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A comma-separated flag (`--member site:58,team:north`) as a list; absent: empty. */
function list(flags: Flags, name: string): string[] {
  return (optional(flags, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function wholeNumber(flags: Flags, name: string, fallback: number, min: number, max: number): number {
  const raw = optional(flags, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new CliError(`--${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export class CliError extends Error {}

/** `--name value`, `--name=value` and bare `--flag`. */
export function parseFlags(args: string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const match = /^--([\w:-]+)(?:=(.*))?$/s.exec(args[i]);
    if (!match) throw new CliError(`unexpected argument "${args[i]}"`);
    const [, name, inline] = match;
    if (inline !== undefined) flags[name] = inline;
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) flags[name] = args[++i];
    else flags[name] = true;
  }
  return flags;
}

export const COMMANDS: Record<string, Command> = {
  'tenant:create': {
    usage: 'tenant:create --name <name> [--timezone Europe/Berlin] [--webhook-url URL --webhook-secret S]',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenant = await app!
        .get(TenantService)
        .createTenant(
          required(flags, 'name'),
          optional(flags, 'timezone') ?? 'UTC',
          optional(flags, 'webhook-url') ?? null,
          optional(flags, 'webhook-secret') ?? null,
        );
      print(JSON.stringify({ tenant_id: tenant.id, name: tenant.name, timezone: tenant.timezone }));
    },
  },
  'apikey:create': {
    usage: 'apikey:create --tenant <id> --scopes sync,admin [--user <user id>] [--name <label>]',
    needsContext: true,
    async run(flags, { app, print }) {
      const key = await app!
        .get(TenantService)
        .createApiKey(
          required(flags, 'tenant'),
          required(flags, 'scopes').split(','),
          optional(flags, 'user') ?? null,
          optional(flags, 'name') ?? 'cli key',
        );
      print(
        JSON.stringify({
          id: key.id,
          api_key: key.key,
          tenant_id: key.tenantId,
          scopes: key.scopes,
          user_id: key.userId,
        }),
      );
    },
  },
  'token:issue': {
    usage: 'token:issue --tenant <id> --user <user id> --scope "sync admin" [--ttl 3600]',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenantId = required(flags, 'tenant');
      await app!.get(TenantService).findTenant(tenantId);
      const ttl = Number(optional(flags, 'ttl') ?? '3600');
      if (!Number.isInteger(ttl) || ttl < 1) throw new CliError('--ttl must be a positive whole number of seconds');
      const scope = required(flags, 'scope')
        .split(/[\s,]+/)
        .join(' ');
      print(app!.get(AuthService).issueToken({ tid: tenantId, sub: required(flags, 'user'), scope }, ttl));
    },
  },
  'user:set': {
    usage:
      'user:set --tenant <id> --user <user id> [--name "Display Name"] [--member site:58,team:north] ' +
      '[--supervisor team:north] [--inactive]  (replaces the memberships)',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenantId = required(flags, 'tenant');
      await app!.get(TenantService).findTenant(tenantId);
      const memberships = [
        ...list(flags, 'member').map((group) => ({ group, role: 'member' as const })),
        ...list(flags, 'supervisor').map((group) => ({ group, role: 'supervisor' as const })),
      ];
      const user = await app!.get(DirectoryService).putUser(tenantId, required(flags, 'user'), {
        display_name: optional(flags, 'name'),
        memberships,
        active: flags.inactive === true ? false : undefined,
      });
      print(JSON.stringify({ ...user, updated_at: user.updated_at.toISOString() }));
    },
  },
  'scope:check': {
    usage:
      'scope:check --tenant <id>|all [--sample 10] [--fix]  (reports records whose scope keys differ from the rules; ' +
      '--fix queues the rules for re-application, applied in the background as rules_changed)',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenant = required(flags, 'tenant');
      if (tenant !== 'all') await app!.get(TenantService).findTenant(tenant);
      const reports = await app!
        .get(ScopeApplyService)
        .check(tenant, { fix: flags.fix === true, sample: wholeNumber(flags, 'sample', 10, 0, 1000) });
      for (const report of reports) print(JSON.stringify(report));
      const differing = reports.reduce((sum, report) => sum + report.differing, 0);
      print(
        `${reports.length} tenants checked, ${differing} records differ` +
          (flags.fix === true && differing > 0 ? '; re-application queued' : ''),
      );
    },
  },
  'scope:apply': {
    usage: 'scope:apply  (applies pending rule versions now, batch by batch, instead of waiting for the schedule)',
    needsContext: true,
    async run(_flags, { app, print }) {
      print(`${await app!.get(ScopeApplyService).applyPending()} batches applied`);
    },
  },
  'create-sync-snapshot': {
    usage: 'create-sync-snapshot --tenant-id=all|<id> [--hours 1]',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenant = required(flags, 'tenant-id');
      const hours = wholeNumber(flags, 'hours', 1, 1, 720);
      const results = await app!
        .get(SnapshotService)
        .createSnapshots(tenant === 'all' ? 'all' : [tenant], hours, (result, index, total) =>
          print(tenantProgress(index, total, result.tenantId, describeSnapshot(result))),
        );
      const alerts = results.reduce((sum, result) => sum + result.openedAlerts.length, 0);
      print(`${results.length} snapshots of the last ${hours} h created, ${alerts} alerts opened`);
    },
  },
  'check-device-health': {
    usage: 'check-device-health [--threshold 70]',
    needsContext: true,
    async run(flags, { app, config, print }) {
      const threshold = wholeNumber(flags, 'threshold', config.get('DEVICE_HEALTH_THRESHOLD'), 0, 100);
      const results = await app!
        .get(DeviceHealthService)
        .runDeviceHealthCheck(threshold, ({ tenantId, devices }, index, total) =>
          print(tenantProgress(index, total, tenantId, `${devices.length} devices below ${threshold}`)),
        );
      if (!results) {
        print('another instance is running the device health check today; nothing done');
        return;
      }
      for (const { tenantId, devices } of results) {
        for (const device of devices) print(describeUnhealthyDevice(tenantId, device));
      }
      const below = results.reduce((sum, result) => sum + result.devices.length, 0);
      print(`${below} devices below ${threshold} in ${results.length} tenants`);
    },
  },
  'conflict-resolution-report': {
    usage: 'conflict-resolution-report [--days 7]',
    needsContext: true,
    async run(flags, { app, print }) {
      const days = wholeNumber(flags, 'days', 7, 1, 365);
      const results = (await app!.get(ReportService).conflictReports(days, { store: false }))!;
      for (const [index, { tenantId }] of results.entries()) {
        print(tenantProgress(index, results.length, tenantId, 'report ready'));
      }
      for (const { tenantId, report } of results) print(`  tenant ${tenantId}: ${JSON.stringify(report)}`);
      print(`conflict reports of the last ${days} days for ${results.length} tenants`);
    },
  },
  'schema:set': {
    usage: 'schema:set --tenant <id> --domain <domain> --file schema.json  ({"version", "json_schema", "upcast"})',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenantId = required(flags, 'tenant');
      const file = required(flags, 'file');
      let body: unknown;
      try {
        body = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new CliError(`--file ${file}: ${errorMessage(error)}`);
      }
      await app!.get(TenantService).findTenant(tenantId);
      const row = await app!
        .get(RecordSchemaService)
        .putSchema(tenantId, required(flags, 'domain'), requirePutSchemaRequest(body), 'cli');
      print(
        JSON.stringify({ tenant_id: tenantId, domain: row.domain, version: row.version, steps: row.upcast.length }),
      );
    },
  },
  'invariant:set': {
    usage: 'invariant:set --tenant <id> --name <invariant> --enabled true|false',
    needsContext: true,
    async run(flags, { app, print }) {
      const tenantId = required(flags, 'tenant');
      const enabled = required(flags, 'enabled');
      if (enabled !== 'true' && enabled !== 'false') throw new CliError('--enabled must be true or false');
      await app!.get(TenantService).findTenant(tenantId);
      const state = await app!.get(InvariantService).put(tenantId, required(flags, 'name'), enabled === 'true', 'cli');
      print(JSON.stringify({ tenant_id: tenantId, name: state.name, enabled: state.enabled }));
    },
  },
  'migration:run': {
    usage: 'migration:run',
    needsContext: false,
    async run(_flags, { config, print }) {
      const db = await new DataSource(dataSourceOptions(config, ENTITIES, undefined, 'direct')).initialize();
      try {
        const applied = await runMigrations(db, isEmbedded(config));
        print(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
      } finally {
        await db.destroy();
      }
    },
  },
};

export async function runCli(argv: string[], env: Record<string, string | undefined>, print: Print): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    print(
      `usage: npm run cli -- <command>\n${Object.values(COMMANDS)
        .map((c) => `  ${c.usage}`)
        .join('\n')}`,
    );
    return name ? 2 : 0;
  }
  let app: INestApplicationContext | undefined;
  try {
    const values = parseFlags(rest);
    const config = AppConfig.fromEnv({ ...env, SCHEDULER_ENABLED: 'false' });
    if (command.needsContext) {
      app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error'] });
    }
    await command.run(values, { app, config, print });
    return 0;
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError || error instanceof AppException) {
      print(`error: ${error.message}`);
      return 2;
    }
    print(`error: ${errorMessage(error)}`);
    return 1;
  } finally {
    await app?.close();
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2), process.env, (line) => process.stdout.write(`${line}\n`)).then(
    (code) => process.exit(code),
    () => process.exit(1),
  );
}
