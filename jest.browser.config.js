/** @type {import('jest').Config} */
// `npm run test:browser`: the suites that drive a real Chromium (/usr/bin/chromium through playwright-core).
// Kept out of `npm test` (jest.config.js ignores test/browser): they need a browser on the machine.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/browser'],
  testMatch: ['**/*.browser.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // One browser at a time on a 2-core machine.
  maxWorkers: 1,
  testTimeout: 90000,
};
