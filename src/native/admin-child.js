// @ts-check
/*
 * The process that runs one admin call the binding could crash the process on (see
 * src/native/admin-operations.ts): src/native/isolated-admin.ts writes
 * { dir, config, op, args, timeoutMs } to its stdin; it loads the binding from `dir`, makes an
 * AdminClient from `config`, runs the call, and writes one line to stdout, RESULT followed by
 * { result } or { error: { code, message } }. If the call crashes the binding, the process dies
 * and its parent reports that instead. Plain JavaScript so that it runs as it is, from src/
 * under ts-jest as well as from dist/.
 */
'use strict';

/** The marker of the result line (src/native/isolated-admin.ts reads it). */
const RESULT = 'aio-rdkafka-admin-result:';

/** @param {unknown} value */
function reply(value) {
  process.stdout.write(`${RESULT}${JSON.stringify(value)}\n`, () => process.exit(0));
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  /** @type {{ dir: string, config: Record<string, unknown>, op: 'describeGroups' | 'deleteGroups', args: unknown[], timeoutMs: number }} */
  const job = JSON.parse(input);
  // Never outlive the call's own limit by much, whatever librdkafka does.
  setTimeout(() => process.exit(3), job.timeoutMs + 10_000).unref();
  /** @type {{ AdminClient: { create(config: Record<string, unknown>): Record<string, Function> } }} */
  const binding = require(job.dir);
  let admin;
  try {
    admin = binding.AdminClient.create(job.config);
    admin[job.op](...job.args, { timeout: job.timeoutMs }, (/** @type {any} */ err, /** @type {unknown} */ result) => {
      if (err) reply({ error: { code: err.code, message: err.message } });
      else reply({ result });
    });
  } catch (err) {
    const e = /** @type {{ code?: unknown, message?: unknown }} */ (err);
    reply({ error: { code: typeof e.code === 'number' ? e.code : -1, message: String(e.message ?? err) } });
  }
});
