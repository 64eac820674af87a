import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

describe('openapi.json', () => {
  it('is the document the app generates (run `npm run openapi` after changing the API)', () => {
    const dir = mkdtempSync(join(root, '.openapi-check-'));
    try {
      const tsconfig = join(dir, 'tsconfig.json');
      writeFileSync(
        tsconfig,
        JSON.stringify({ extends: join(root, 'tsconfig.build.json'), compilerOptions: { outDir: join(dir, 'out') } }),
      );
      execFileSync(join(root, 'node_modules/.bin/nest'), ['build', '--path', relative(root, tsconfig)], {
        cwd: root,
        stdio: 'pipe',
      });
      const generated = join(dir, 'openapi.json');
      execFileSync(process.execPath, [join(dir, 'out/src/openapi.js'), generated], { cwd: root, stdio: 'pipe' });
      const committed = JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8'));
      expect(JSON.parse(readFileSync(generated, 'utf8'))).toEqual(committed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
