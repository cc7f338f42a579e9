import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIOKafkaError, InvalidArgumentError } from '../../../src';
import { runIsolated } from '../../../src/native/isolated-admin';
import { isAlive } from '../../helpers/run-node';
import { until } from '../../helpers/until';

/*
 * runIsolated (src/native/isolated-admin.ts) with real child processes, on a stand-in binding: a
 * folder whose AdminClient answers, fails, crashes or hangs as the group name says. The child
 * loads it exactly as it loads CKJS (by its folder).
 */

const BINDING = `'use strict';
const { writeFileSync } = require('node:fs');
exports.AdminClient = {
  create(config) {
    return {
      describeGroups(groups, options, cb) {
        writeFileSync(config['x.pid.file'], String(process.pid));
        const [group] = groups;
        if (group === 'crash') process.abort();
        if (group === 'fail') return cb(Object.assign(new Error('Broker: Group authorization failed'), { code: 30 }));
        if (group === 'hang') return setInterval(() => {}, 1000);
        cb(null, { groups: groups.map((groupId) => ({ groupId, timeout: options.timeout })) });
      },
    };
  },
};
`;

let dir: string;
let pidFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'isolated-admin-'));
  writeFileSync(join(dir, 'index.js'), BINDING);
  pidFile = join(dir, 'pid');
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs describeGroups([group]) in a child; its answer, and what stops it. */
function describeGroup(group: string, timeoutMs = 30_000): { answer: Promise<{ err: Error | null; result: unknown }>; stop: () => void } {
  let stop!: () => void;
  const answer = new Promise<{ err: Error | null; result: unknown }>((resolve) => {
    stop = runIsolated(dir, { 'x.pid.file': pidFile }, 'describeGroups', [[group]], timeoutMs, (err, result) => resolve({ err: err ?? null, result }));
  });
  return { answer, stop };
}

test("answers with the binding's result, the call's timeout passed on", async () => {
  const { answer } = describeGroup('orders', 1234);
  await expect(answer).resolves.toEqual({ err: null, result: { groups: [{ groupId: 'orders', timeout: 1234 }] } });
});

test("answers with the binding's error and its numeric code", async () => {
  const { err } = await describeGroup('fail').answer;
  expect(err).toMatchObject({ message: 'Broker: Group authorization failed', code: 30 });
});

test('a crash in the child fails the call, saying so; this process is unaffected', async () => {
  const { err } = await describeGroup('crash').answer;
  expect(err).toBeInstanceOf(AIOKafkaError);
  expect(err!.message).toMatch(/^describeGroups: the binding's call was killed by SIGABRT .* this process is unaffected$/);
});

test('stop() kills a child that still runs: the call answers that it was stopped, and the child is gone', async () => {
  const { answer, stop } = describeGroup('hang');
  await until('the child running the call', () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') !== '');
  const pid = Number(readFileSync(pidFile, 'utf8'));
  expect(isAlive(pid)).toBe(true);
  stop();
  const { err } = await answer;
  expect(err).toBeInstanceOf(AIOKafkaError);
  expect(err!.message).toMatch(/^describeGroups: the binding's call was stopped \(its admin client closed\)/);
  expect(isAlive(pid)).toBe(false);
  // Once answered, stopping again does nothing.
  stop();
});

test('a config holding a function is refused before any child starts', () => {
  expect(() => runIsolated(dir, { oauthbearer_token_refresh_cb: () => {} }, 'describeGroups', [['g']], 1000, () => {})).toThrow(InvalidArgumentError);
  expect(existsSync(pidFile)).toBe(false);
});
