/*
 * `await using` in a test file: the package's own Jest setup entry (aio-rdkafka/testing/jest-setup),
 * which jest.config.js runs before every test file. Importing this first says so where it matters.
 */
import '../../src/testing/jest-setup';
