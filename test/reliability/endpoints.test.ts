import { call, startTestApp, TestApp } from '../helpers/test-app';
import { ENDPOINTS, routeKey } from './endpoints';

describe('the endpoint table of the reliability suites', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('endpoints');
  });
  afterAll(() => t.close());

  it('lists exactly the routes of the OpenAPI document, with their auth', async () => {
    const docs = await call(t, 'GET', '/docs-json');
    expect(docs.status).toBe(200);
    const paths = docs.body.paths as Record<string, Record<string, { security?: unknown[] }>>;
    const documented = new Map<string, boolean>();
    for (const [path, operations] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        documented.set(routeKey(method, path), (operation.security ?? []).length > 0);
      }
    }
    const table = ENDPOINTS.filter((endpoint) => !endpoint.undocumented);
    const listed = new Map(table.map((endpoint) => [routeKey(endpoint.method, endpoint.path), endpoint]));

    const missingFromTable = [...documented.keys()].filter((key) => !listed.has(key));
    const notDocumented = [...listed.keys()].filter((key) => !documented.has(key));
    const authMismatch = [...listed].filter(
      ([key, endpoint]) => documented.has(key) && documented.get(key) !== (endpoint.access !== 'public'),
    );
    process.stdout.write(
      `endpoints: ${documented.size} routes in /docs-json, ${table.length} documented + ` +
        `${ENDPOINTS.length - table.length} undocumented in the table; missing ${missingFromTable.length}, ` +
        `stale ${notDocumented.length}, auth mismatches ${authMismatch.length}\n`,
    );
    expect(missingFromTable).toEqual([]);
    expect(notDocumented).toEqual([]);
    expect(authMismatch.map(([key]) => key)).toEqual([]);
    expect(new Set(ENDPOINTS.map((endpoint) => routeKey(endpoint.method, endpoint.path))).size).toBe(ENDPOINTS.length);
  });

  it('serves the undocumented routes of the table', async () => {
    for (const endpoint of ENDPOINTS.filter((entry) => entry.undocumented)) {
      expect([endpoint.path, (await call(t, endpoint.method, endpoint.path)).status]).toEqual([endpoint.path, 200]);
    }
  });
});
