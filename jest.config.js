/**
 * Three tiers: unit specs beside the code; integration and e2e suites against a real database. The browser project
 * (headless Chromium) runs only when selected: `npm test` ignores it, `npm run test:browser` runs it alone.
 * NestJS 12 ships ES modules only and Jest on Node 20 cannot require them, so those packages are turned into
 * CommonJS by Babel (cached after the first run); our TypeScript goes through ts-jest.
 */
const ESM_PACKAGES = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
  '@tokenizer',
  '@borewit',
  'load-esm',
  '@standard-schema',
  'toad-cache',
  'cookie',
  'set-cookie-parser',
  'content-disposition',
  'libphonenumber-js',
  '@electric-sql',
];
const transform = {
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  '^.+\\.[mc]?js$': [
    'babel-jest',
    {
      babelrc: false,
      configFile: false,
      compact: false,
      plugins: [
        './test/helpers/babel-drop-create-require.js',
        './test/helpers/babel-dynamic-import-to-require.js',
        'babel-plugin-transform-import-meta',
        '@babel/plugin-transform-modules-commonjs',
      ],
    },
  ],
};
const common = {
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  rootDir: '.',
};
const database = {
  ...common,
  setupFiles: ['<rootDir>/test/helpers/setup-env.ts', '<rootDir>/test/helpers/setup-fast-check.ts'],
};

module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts'],
      setupFiles: ['<rootDir>/test/helpers/setup-fast-check.ts'],
    },
    { ...database, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    {
      ...database,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      testPathIgnorePatterns: ['\\.browser\\.test\\.ts$'],
    },
    { ...database, displayName: 'reliability', testMatch: ['<rootDir>/test/reliability/**/*.test.ts'] },
    { ...database, displayName: 'clients', testMatch: ['<rootDir>/test/clients/**/*.test.ts'] },
    { ...database, displayName: 'browser', testMatch: ['<rootDir>/test/e2e/**/*.browser.test.ts'] },
  ],
  testTimeout: 60000,
};
