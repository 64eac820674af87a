import { call, startTestApp, TestApp } from '../helpers/test-app';

describe('the dashboard page and its static files', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp('dashboard_static');
  });
  afterAll(() => t.close());

  it.each([
    ['/dashboard', 'text/html'],
    ['/dashboard/', 'text/html'],
    ['/dashboard/app.js', 'text/javascript'],
    ['/dashboard/styles.css', 'text/css'],
    ['/dashboard/vendor/chart.umd.js', 'text/javascript'],
  ])('serves %s as %s without a credential, with a CSP that allows only its own scripts', async (path, type) => {
    const result = await call(t, 'GET', path);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toContain(type);
    expect(result.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(result.headers.get('x-content-type-options')).toBe('nosniff');
    expect(String(result.body).length).toBeGreaterThan(100);
  });

  it('references only same-origin assets by absolute path and never puts the key in a URL', async () => {
    const page = String((await call(t, 'GET', '/dashboard')).body);
    expect(page).toContain('src="/dashboard/vendor/chart.umd.js"');
    expect(page).toContain('src="/dashboard/app.js"');
    expect(page).not.toMatch(/<script>(?!<)/);
    // The key input has no name, so a submit without the script would send nothing.
    expect(page).toMatch(/<input\s+id="key-input"(?![^>]*\bname=)[^>]*>/);
    const script = String((await call(t, 'GET', '/dashboard/app.js')).body);
    expect(script).toContain('sessionStorage');
    expect(script).toContain('Authorization: `Bearer ${getKey()}`');
    expect(script).not.toMatch(/innerHTML|location\.(search|hash)|[?&](key|api_key|token)=/);
    expect((await call(t, 'GET', '/dashboard/vendor/chart.umd.js')).body).toContain('Chart.js v4');
  });

  it('is left out of the OpenAPI document and an unknown file is a 404', async () => {
    const doc = (await call(t, 'GET', '/docs-json')).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/dashboard'))).toEqual([]);
    expect((await call(t, 'GET', '/dashboard/secret.txt')).status).toBe(404);
  });

  it('keeps the API behind credentials', async () => {
    expect((await call(t, 'GET', '/api/sync/dashboard/')).status).toBe(401);
  });
});
