/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
  // Integration tests start a whole local stack each; two workers match CI's two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
