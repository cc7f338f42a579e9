/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // The fault suite has its own command (npm run test:faults) and config.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/__tests__/faults/'],
  // Integration tests start a broker per file; give them room on a 2-core machine.
  testTimeout: 60_000,
  maxWorkers: 2,
  // Examples import the package by name, as a user would: here that name is the source.
  moduleNameMapper: {
    '^aio-rdkafka$': '<rootDir>/src/index.ts',
    '^aio-rdkafka/testing$': '<rootDir>/src/testing/index.ts',
  },
  detectOpenHandles: true,
  // `await using` in tests: jest's vm context lacks Node 20/22's Symbol.asyncDispose. The
  // package's own setup entry, as users add it (aio-rdkafka/testing/jest-setup).
  setupFiles: ['<rootDir>/src/testing/jest-setup.ts'],
};
