/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Real-browser suites run with `npm run test:browser` (jest.browser.config.js), not here.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/'],
  // Type-checking is `npm run typecheck`; ts-jest only transpiles (isolatedModules in tsconfig), which keeps the suite fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Integration tests start a whole local stack each; two workers match CI's two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
