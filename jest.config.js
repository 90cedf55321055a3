/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is `npm run typecheck`; ts-jest only transpiles (isolatedModules in tsconfig), which keeps the suite fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Integration tests start a whole local stack each; two workers match CI's two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
