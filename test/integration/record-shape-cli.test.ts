import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCliHarness } from '../helpers/cli-harness';

describe('command line: record schemas and invariants', () => {
  const { run } = useCliHarness('cli_shapes', { JWT_SECRET: 'cli-secret-cli-secret-cli-secret-0123' });
  let dir = '';
  let tenantId = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fieldsync-shapes-'));
    expect((await run('migration:run')).code).toBe(0);
    tenantId = JSON.parse((await run('tenant:create', '--name', 'Acme')).out).tenant_id;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, content: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  }

  it('sets schema versions from files and switches an invariant off', async () => {
    const v1 = file('v1.json', {
      version: 1,
      json_schema: { type: 'object', properties: { status: { type: 'string' } } },
    });
    const v2 = file('v2.json', {
      version: 2,
      json_schema: { type: 'object', properties: { jobstatus: { type: 'string' } } },
      upcast: [{ op: 'rename', from: 'status', to: 'jobstatus' }],
    });
    const first = await run('schema:set', '--tenant', tenantId, '--domain', 'task', '--file', v1);
    expect(first).toEqual({
      code: 0,
      out: JSON.stringify({ tenant_id: tenantId, domain: 'task', version: 1, steps: 0 }),
    });
    const second = await run('schema:set', '--tenant', tenantId, '--domain', 'task', '--file', v2);
    expect(JSON.parse(second.out)).toMatchObject({ version: 2, steps: 1 });

    const off = await run('invariant:set', '--tenant', tenantId, '--name', 'ticket_status', '--enabled', 'false');
    expect(off).toEqual({
      code: 0,
      out: JSON.stringify({ tenant_id: tenantId, name: 'ticket_status', enabled: false }),
    });
  });

  it('explains bad files, bad steps and bad switches with exit code 2', async () => {
    const badStep = file('bad-step.json', {
      version: 3,
      json_schema: { type: 'object' },
      upcast: [
        { op: 'drop', field: 'a' },
        { op: 'rename', to: 'b' },
      ],
    });
    expect(await run('schema:set', '--tenant', tenantId, '--domain', 'task', '--file', badStep)).toEqual({
      code: 2,
      out: expect.stringMatching(/^error: .*\/upcast\/1\/from/),
    });
    const badSchema = file('bad-schema.json', { version: 3, json_schema: { properties: { a: { type: 'strng' } } } });
    expect((await run('schema:set', '--tenant', tenantId, '--domain', 'task', '--file', badSchema)).out).toMatch(
      /\/json_schema\/properties\/a\/type/,
    );
    expect(
      (await run('schema:set', '--tenant', tenantId, '--domain', 'task', '--file', file('x.json', '{'))).code,
    ).toBe(2);
    expect((await run('schema:set', '--tenant', tenantId, '--domain', 'boat', '--file', badSchema)).code).toBe(2);
    expect((await run('invariant:set', '--tenant', tenantId, '--name', 'no_such', '--enabled', 'false')).code).toBe(2);
    expect((await run('invariant:set', '--tenant', tenantId, '--name', 'ticket_status', '--enabled', 'no')).code).toBe(
      2,
    );
    expect(
      (await run('invariant:set', '--tenant', '424242', '--name', 'ticket_status', '--enabled', 'true')).out,
    ).toMatch(/tenant 424242 not found/);
  });
});
