import fs from 'node:fs';
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

// Folders point down: database/ and common/ are the ground floor, modules/ sit on them, and only the composition
// root (these files) knows every module.
const COMPOSITION_ROOT = {
  regex: '^(\\.\\./)+(app\\.module|app\\.setup|main|cli|openapi|entities|ormconfig)(\\.ts)?$',
  message: 'Only the composition root imports app.module, app.setup, entities, cli, main, openapi or ormconfig.',
};
const FEATURE_MODULES = {
  regex: '(^|/)modules(/|$)',
  message: 'database/ and common/ import nothing from modules/: define an interface here and let a module bind it.',
};

// One owner per table: a module reaches another module's tables through that module's services, never its
// repository files. One override per module, since the pattern names the modules a file may not reach into.
const MODULES = fs
  .readdirSync(new URL('./src/modules', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const otherModulesRepositories = (name) => ({
  regex: `^(\\.\\./)+(modules/)?(?!${name}/)[a-z-]+/(.+/)?[^/]+\\.repository(\\.ts)?$`,
  message: `A module calls another module's service, never its repository: ${name}/ reads only its own tables.`,
});

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      '.data/',
      'public/vendor/',
      '.openapi-check-*/',
      'clients/generated/',
      'eslint.config.mjs',
      '**/*.js',
      '!public/**/*.js',
    ],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/database/**/*.ts', 'src/common/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [FEATURE_MODULES, COMPOSITION_ROOT] }] },
  },
  ...MODULES.map((name) => ({
    files: [`src/modules/${name}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: [COMPOSITION_ROOT, otherModulesRepositories(name)] }] },
  })),
  {
    files: ['test/**/*.ts', '**/*.spec.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: {
        window: 'readonly',
        document: 'readonly',
        sessionStorage: 'readonly',
        fetch: 'readonly',
        Chart: 'readonly',
        console: 'readonly',
        Node: 'readonly',
        Element: 'readonly',
        URLSearchParams: 'readonly',
        setInterval: 'readonly',
      },
    },
  },
);
