/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // Integration tests start a broker per file; give them room on a 2-core machine.
  testTimeout: 60_000,
  maxWorkers: 2,
  detectOpenHandles: true,
};
