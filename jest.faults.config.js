/** The fault and reliability suite (`npm run test:faults`): outages, overload, fuzz, misuse. */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/__tests__/faults'],
  testPathIgnorePatterns: [],
  testTimeout: 120_000,
};
