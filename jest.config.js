// One jest run holds the unit specs (src/**/*.spec.ts) and the end-to-end specs (test/**/*.e2e-spec.ts).
// NestJS 12, jose and openid-client are ESM-only; on Node 20 jest cannot require() ESM, so @swc/jest
// compiles them to CommonJS (see ../shared/design/TOOLCHAIN.md, "the fix that works on Node 20").
const esmOnly = [
  '@nestjs',
  'jose',
  'openid-client',
  'oauth4webapi',
  'content-disposition',
  'cookie',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
];

const { swcOptions } = require('./test/support/swc-options.cjs');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  moduleFileExtensions: ['js', 'json', 'ts'],
  testEnvironment: 'node',
  testRegex: ['src/.*\\.spec\\.ts$', 'test/.*\\.e2e-spec\\.ts$'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', swcOptions()] },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  // test-dist/ is the compiled copy of src/ that specs run as a process (test/support/compile-src.mjs).
  modulePathIgnorePatterns: ['<rootDir>/test-dist/'],
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 30000,
  maxWorkers: 2,
};
