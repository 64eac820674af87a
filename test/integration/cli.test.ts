import { useCliHarness } from '../helpers/cli-harness';

describe('command line', () => {
  const { run } = useCliHarness('cli', { JWT_SECRET: 'cli-secret-cli-secret-cli-secret-0123' });

  it('runs migrations, creates a tenant, an API key and a token', async () => {
    expect((await run('migration:run')).code).toBe(0);
    expect((await run('migration:run')).out).toBe('no pending migrations');

    const tenant = await run('tenant:create', '--name', 'Acme Facilities', '--timezone', 'Asia/Kolkata');
    expect(tenant.code).toBe(0);
    const { tenant_id } = JSON.parse(tenant.out);
    expect(tenant_id).toMatch(/^\d+$/);

    const key = await run('apikey:create', '--tenant', tenant_id, '--scopes', 'sync,admin', '--user', 'tech-7');
    expect(key.code).toBe(0);
    expect(JSON.parse(key.out)).toMatchObject({
      tenant_id,
      scopes: ['sync', 'admin'],
      user_id: 'tech-7',
      api_key: expect.stringMatching(/^fsk_/),
    });

    const token = await run('token:issue', '--tenant', tenant_id, '--user', 'tech-7', '--scope', 'sync');
    expect(token.code).toBe(0);
    const payload = JSON.parse(Buffer.from(token.out.split('.')[1], 'base64url').toString());
    expect(payload).toMatchObject({ tid: tenant_id, sub: 'tech-7', scope: 'sync' });
  });

  it('sets a directory user with its memberships, and deactivates it', async () => {
    const { tenant_id } = JSON.parse((await run('tenant:create', '--name', 'Directory Co')).out);
    const set = await run(
      'user:set',
      '--tenant',
      tenant_id,
      '--user',
      '4127',
      '--name',
      'Anna Rao',
      '--member',
      'site:58,team:north',
      '--supervisor',
      'team:south',
    );
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({
      user_id: '4127',
      display_name: 'Anna Rao',
      active: true,
      memberships: [
        { group: 'site:58', role: 'member' },
        { group: 'team:north', role: 'member' },
        { group: 'team:south', role: 'supervisor' },
      ],
    });
    const off = await run('user:set', '--tenant', tenant_id, '--user', '4127', '--inactive');
    expect(JSON.parse(off.out)).toMatchObject({ display_name: 'Anna Rao', active: false, memberships: [] });
    expect((await run('user:set', '--tenant', tenant_id, '--user', '4127', '--member', 'Site 58')).code).toBe(2);
    expect((await run('user:set', '--tenant', tenant_id)).out).toBe('error: --user is required');
  });

  it('explains bad input with exit code 2', async () => {
    expect(await run('tenant:create', '--timezone', 'UTC')).toEqual({ code: 2, out: 'error: --name is required' });
    expect((await run('tenant:create', '--name', 'x', '--timezone', 'Nowhere/City')).code).toBe(2);
    expect((await run('apikey:create', '--tenant', '424242', '--scopes', 'sync')).out).toMatch(
      /tenant 424242 not found/,
    );
    expect((await run('apikey:create', '--tenant', '1', '--scopes', 'root')).code).toBe(2);
    expect((await run('no-such-command')).code).toBe(2);
  });
});
