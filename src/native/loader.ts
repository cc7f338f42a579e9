/*
 * The native binding, loaded on first use so that importing this package's types (or its testing
 * entry) costs nothing: node-rdkafka (the default) or @confluentinc/kafka-javascript (CKJS),
 * chosen by a client's `binding` option, else the AIO_BINDING environment variable, else
 * whichever of the two loads, node-rdkafka first. Every other file reaches the binding through
 * src/native/, and what differs between the two is said here, in one place ({@link Binding}).
 *
 * Refusals made before anything is loaded:
 * - in a worker thread: both bindings crash the process there (their callbacks run on the main
 *   thread's event loop, into the worker's isolate), and a binding loaded in a worker cannot be
 *   loaded by the main thread while the worker lives;
 * - a binding that would run on the other binding's librdkafka: a CKJS built from source links
 *   librdkafka dynamically, under the same soname as node-rdkafka's, so the second of the two to
 *   be loaded in a process gets the first one's librdkafka (CKJS's prebuilt binary links its own
 *   statically and is not affected).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { BINDING_NAMES, bindingFromEnv, CKJS, INSTALL_COMMAND, isBindingName, NODE_RDKAFKA, type BindingName } from '../core/bindings';
import { BindingUnavailableError, InvalidArgumentError, WorkerThreadError } from '../core/errors';
import { describe } from '../core/validation';
import type { LibrdkafkaConfig } from './config';

export { CKJS, NODE_RDKAFKA, type BindingName };

/** The parts of a binding's module object this package uses (the same on both). */
export interface NativeModule {
  Producer: new (config: LibrdkafkaConfig, topicConfig?: LibrdkafkaConfig) => unknown;
  KafkaConsumer: new (config: LibrdkafkaConfig, topicConfig?: LibrdkafkaConfig) => unknown;
  AdminClient: { create(config: LibrdkafkaConfig): unknown };
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
}

/**
 * Which binding a client runs on: its package name, or the module object itself
 * (`require('@confluentinc/kafka-javascript')`: for bundlers and layouts where aio-rdkafka cannot
 * `require` it by name).
 */
export type BindingOption = BindingName | object;

/** A loaded binding, and everything that differs between the two. */
export interface Binding {
  readonly name: BindingName;
  readonly module: NativeModule;
  /** The librdkafka it runs on, e.g. `2.12.0` (node-rdkafka 3.6) or `2.15.1` (CKJS 1.10). */
  readonly librdkafkaVersion: string;
  /** librdkafka's text for an error code (`rd_kafka_err2str`), or undefined when unavailable. */
  errorText(code: number): string | undefined;
  /**
   * How a producer serves its reports the moment they come: `plugin`, this package's librdkafka
   * plugin (native/poller.c, built at install against node-rdkafka's librdkafka); `native`, the
   * binding's own `setPollInBackground` (librdkafka's background thread: CKJS).
   */
  readonly backgroundPoll: 'plugin' | 'native';
  /**
   * Whether a Buffer header value reaches the broker byte for byte (CKJS). node-rdkafka converts
   * every header value to a C string: only NUL-free UTF-8 arrives unchanged.
   */
  readonly binaryHeaderValues: boolean;
  /** The callback properties the binding takes a function for ({@link CALLBACK_PROPERTIES}). */
  readonly callbackProperties: ReadonlySet<string>;
  /** The installed package's folder; undefined for a module object found nowhere in Node's module cache. */
  readonly packageDir: string | undefined;
}

/**
 * The callback properties each binding takes a function for: its `Conf::ConfigureCallback`
 * (src/config.cc). node-rdkafka 3.6 drops a function under any other name without a word; CKJS
 * 1.10 throws "Invalid callback type" for one, from inside its connect. (`event_cb` both read
 * themselves, as a boolean; their Producer reads `dr_cb` and `dr_msg_cb` itself, which the
 * producer owns and refuses before this.)
 */
export const CALLBACK_PROPERTIES: Readonly<Record<BindingName, ReadonlySet<string>>> = {
  [NODE_RDKAFKA]: new Set(['rebalance_cb', 'offset_commit_cb']),
  [CKJS]: new Set(['rebalance_cb', 'offset_commit_cb', 'oauthbearer_token_refresh_cb']),
};

/** What each binding is and does, by name. */
const TRAITS: Readonly<Record<BindingName, Pick<Binding, 'backgroundPoll' | 'binaryHeaderValues' | 'callbackProperties'>>> = {
  [NODE_RDKAFKA]: { backgroundPoll: 'plugin', binaryHeaderValues: false, callbackProperties: CALLBACK_PROPERTIES[NODE_RDKAFKA] },
  [CKJS]: { backgroundPoll: 'native', binaryHeaderValues: true, callbackProperties: CALLBACK_PROPERTIES[CKJS] },
};

const byName = new Map<BindingName, Binding>();
const byModule = new WeakMap<object, Binding>();
/** The default binding, once found (AIO_BINDING, else the first that loads). */
let fallback: Binding | undefined;

/**
 * Checks a `binding` option without loading anything: undefined, a binding's name, or a module
 * object that has what this package uses.
 * @throws {InvalidArgumentError} for anything else.
 */
export function bindingOption(name: string, value: unknown): BindingOption | undefined {
  if (value === undefined || isBindingName(value)) return value;
  if ((typeof value === 'object' || typeof value === 'function') && value !== null && looksLikeBinding(value)) return value;
  throw new InvalidArgumentError(
    `${name} must be "${NODE_RDKAFKA}", "${CKJS}" or one of those modules (require('${CKJS}')), got ${typeof value === 'string' ? JSON.stringify(value) : describe(value)}`,
  );
}

function looksLikeBinding(value: object): value is NativeModule {
  const m = value as Partial<NativeModule>;
  return (
    typeof m.Producer === 'function' &&
    typeof m.KafkaConsumer === 'function' &&
    typeof m.AdminClient?.create === 'function' &&
    typeof m.CODES?.ERRORS === 'object' &&
    typeof m.librdkafkaVersion === 'string'
  );
}

/**
 * The binding a client runs on: `option` (see {@link BindingOption}), else the one AIO_BINDING
 * names, else node-rdkafka if it loads, else CKJS if it loads. Loaded once per process.
 * @throws {WorkerThreadError} on a worker thread (before anything is loaded).
 * @throws {BindingUnavailableError} when no binding loads, or the one asked for does not.
 */
export function loadBinding(option?: BindingOption): Binding {
  if (!isMainThread) {
    throw new WorkerThreadError(
      'Kafka clients cannot run in a worker thread: node-rdkafka and @confluentinc/kafka-javascript deliver librdkafka\'s ' +
        'callbacks on the main thread\'s event loop and crash the process there. Create the client on the main thread',
    );
  }
  if (typeof option === 'object') return fromModule(option);
  const named = option ?? bindingFromEnv();
  if (named !== undefined) return loadNamed(named);
  fallback ??= loadFirst();
  return fallback;
}

/** The first binding that loads, node-rdkafka first; a "does not load" counts as not installed. */
function loadFirst(): Binding {
  const failures: string[] = [];
  for (const name of BINDING_NAMES) {
    try {
      return loadNamed(name);
    } catch (err) {
      const cause = err instanceof BindingUnavailableError && err.cause instanceof Error ? err.cause : (err as Error);
      failures.push(`${name}: ${firstLine(cause)}`);
    }
  }
  throw new BindingUnavailableError(
    `no Kafka binding could be loaded. Install one beside aio-rdkafka: ${INSTALL_COMMAND[NODE_RDKAFKA]}; or ${INSTALL_COMMAND[CKJS]}. ` +
      `(${failures.join('; ')})`,
  );
}

function loadNamed(name: BindingName): Binding {
  const known = byName.get(name);
  if (known !== undefined) return known;
  let module: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    module = require(name);
  } catch (err) {
    throw new BindingUnavailableError(
      `the binding ${name} could not be loaded (${firstLine(err)}). Install it: ${INSTALL_COMMAND[name]}`,
      err,
    );
  }
  if (!looksLikeBinding(module as object)) throw new BindingUnavailableError(`${name} loaded, but has no Producer, KafkaConsumer and AdminClient`);
  return remember(name, module as NativeModule, packageDirOf(name));
}

/** A module object handed over in the `binding` option: named from where it was loaded, else from its shape. */
function fromModule(module: object): Binding {
  const known = byModule.get(module);
  if (known !== undefined) return known;
  if (!looksLikeBinding(module)) bindingOption('option binding', module);
  const dir = loadedFrom(module);
  const name = packageName(dir) ?? ('KafkaJS' in module ? CKJS : NODE_RDKAFKA);
  return remember(name, module as NativeModule, dir);
}

function remember(name: BindingName, module: NativeModule, dir: string | undefined): Binding {
  checkOwnLibrdkafka(name, module, dir);
  let errorText: ((code: number) => string) | null | undefined;
  const binding: Binding = {
    name,
    module,
    packageDir: dir,
    librdkafkaVersion: module.librdkafkaVersion,
    errorText(code) {
      errorText ??= errorTextOf(dir);
      return errorText === null ? undefined : errorText(code);
    },
    ...TRAITS[name],
  };
  byModule.set(module, binding);
  if (!byName.has(name) && dir !== undefined && dir === packageDirOf(name)) byName.set(name, binding);
  return binding;
}

/**
 * Refuses a binding that runs on another librdkafka than its own because another one was loaded
 * first (see the file's comment): its calls would reach a librdkafka they were not built for. A
 * binding linked to a system librdkafka on purpose is not refused (no other one is loaded).
 */
function checkOwnLibrdkafka(name: BindingName, module: NativeModule, dir: string | undefined): void {
  const own = dir === undefined ? undefined : readPackage(dir)?.librdkafka;
  if (own === undefined || own === module.librdkafkaVersion) return;
  const other = foreignLibrdkafka(dir!) ?? BINDING_NAMES.find((n) => n !== name && isLoaded(n));
  if (other === undefined) return;
  throw new BindingUnavailableError(
    `${name} runs on librdkafka ${module.librdkafkaVersion}, not its own ${own}: another librdkafka (${other}) was loaded first in ` +
      `this process, and a binding built from source links librdkafka.so.1 dynamically, so the second one loaded gets the first ` +
      `one's. Use one binding per process (CKJS's prebuilt binary, which links its librdkafka statically, is not affected)`,
  );
}

/** A librdkafka shared library mapped into this process from outside `dir` (Linux: /proc/self/maps). */
function foreignLibrdkafka(dir: string): string | undefined {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/'));
    if (line.includes('/') && /\/librdkafka\.so(\.\d+)?$/.test(path) && !path.startsWith(`${dir}/`)) return path;
  }
  return undefined;
}

/** Whether binding `name`'s main module is in Node's module cache (loaded by anyone in this process). */
function isLoaded(name: BindingName): boolean {
  try {
    return require.cache[require.resolve(name)] !== undefined;
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]!;
}

/** The installed package folder of binding `name`, or undefined when it cannot be resolved. */
export function packageDirOf(name: BindingName): string | undefined {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
}

/** The package folder a module object was loaded from (found in Node's module cache), if any. */
function loadedFrom(module: object): string | undefined {
  for (const [file, cached] of Object.entries(require.cache)) {
    if (cached?.exports !== module) continue;
    for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, 'package.json'))) return dir;
    }
  }
  return undefined;
}

function readPackage(dir: string): { name?: string; librdkafka?: string } | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(join(dir, 'package.json')) as { name?: string; librdkafka?: string };
  } catch {
    return undefined;
  }
}

function packageName(dir: string | undefined): BindingName | undefined {
  const name = dir === undefined ? undefined : readPackage(dir)?.name;
  return isBindingName(name) ? name : undefined;
}

/** Both bindings ship `librdkafka.js` at their root, whose `err2str` is librdkafka's own. */
function errorTextOf(dir: string | undefined): ((code: number) => string) | null {
  if (dir === undefined) return null;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const native = require(join(dir, 'librdkafka')) as { err2str?: (code: number) => string };
    return typeof native.err2str === 'function' ? native.err2str : null;
  } catch {
    return null;
  }
}

/** The librdkafka version of the default binding, e.g. `2.12.0`. */
export function librdkafkaVersion(option?: BindingOption): string {
  return loadBinding(option).librdkafkaVersion;
}
