/*
 * One admin call in a child process (admin-child.js), for the calls the binding could crash the
 * process on (src/native/admin-operations.ts). The child gets the binding's folder and the
 * configuration on its stdin (never on its command line: the configuration may hold secrets),
 * answers with one line, and is killed if it outlives the call's limit by more than librdkafka's
 * grace, when the admin client that started it closes without waiting for it any longer, or when
 * this process exits. A child that dies without answering (the crash it is there to contain)
 * fails the call, saying so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { AIOErrorCodes, AIOKafkaError, BindingUnavailableError, InvalidArgumentError } from '../core/errors';
import { LIBRDKAFKA_GRACE_MS, type NativeCallback } from '../core/timeouts';
import type { LibrdkafkaConfig } from './config';
import type { Binding } from './loader';

const CHILD = join(__dirname, 'admin-child.js');
/** The marker of the child's result line (admin-child.js writes it). */
const RESULT = 'aio-rdkafka-admin-result:';

/** Children still running: killed if this process exits first. */
const running = new Set<ChildProcess>();
let exitHook = false;

/**
 * The folder a child process loads `binding` from, asked for when a call needs it.
 * @throws {BindingUnavailableError} for a module object whose file Node's module cache does not name.
 */
export function isolatedAdminDir(binding: Binding): () => string {
  return () => {
    if (binding.packageDir !== undefined) return binding.packageDir;
    throw new BindingUnavailableError(
      `this call runs in a child process, which loads the binding by its folder, and the module object given as \`binding\` was not loaded from one ` +
        `(pass the binding by name instead)`,
    );
  };
}

/**
 * Runs `op(...args, { timeout: timeoutMs }, cb)` on an AdminClient of the binding in `dir` made
 * from `config`, in a child process; calls `cb` once with the result, the binding's error (a
 * numeric `code`), or an {@link AIOKafkaError} when the child died without answering.
 * @returns what stops the call: it kills the child (its pipes would keep this process alive up
 *   to the call's limit), and `cb` then answers that the call was stopped.
 * @throws {InvalidArgumentError} when `config` holds a function (it cannot be sent to the child).
 */
export function runIsolated<T>(
  dir: string,
  config: LibrdkafkaConfig,
  op: 'describeGroups' | 'deleteGroups',
  args: unknown[],
  timeoutMs: number,
  cb: NativeCallback<T>,
): () => void {
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'function') {
      throw new InvalidArgumentError(`${op}: config "${key}" is a function, which cannot reach the child process this call runs in (see docs/api.md)`);
    }
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const child of running) child.kill('SIGKILL');
    });
  }
  const child = spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + LIBRDKAFKA_GRACE_MS + 5_000);
  killer.unref();
  let stopped = false;
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.on('error', () => {});
  child.stdin.on('error', () => {});
  child.on('close', (code, signal) => {
    running.delete(child);
    clearTimeout(killer);
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT));
    if (line !== undefined) {
      const answer = JSON.parse(line.slice(RESULT.length)) as { result?: T; error?: { code: number; message: string } };
      if (answer.error !== undefined) cb(Object.assign(new Error(answer.error.message), { code: answer.error.code }), undefined as T);
      else cb(null, answer.result as T);
      return;
    }
    const how = stopped
      ? 'was stopped (its admin client closed)'
      : signal !== null
        ? `was killed by ${signal}`
        : `exited with code ${String(code)}`;
    const last = stderr.trim().split('\n').pop();
    cb(
      new AIOKafkaError(
        `${op}: the binding's call ${how} in the child process it ran in, without an answer` +
          `${signal === 'SIGSEGV' || signal === 'SIGABRT' ? ' (a crash: @confluentinc/kafka-javascript 1.10 crashes on a group result that carries an error, such as a timeout or an authorization failure)' : ''}` +
          `${last ? `: ${last}` : ''}; this process is unaffected`,
        { code: AIOErrorCodes.UNKNOWN },
      ),
      undefined as T,
    );
  });
  child.stdin.end(JSON.stringify({ dir, config, op, args, timeoutMs }));
  return () => {
    if (!running.has(child)) return;
    stopped = true;
    child.kill('SIGKILL');
  };
}
