/*
 * Creating a native client safely. node-rdkafka creates librdkafka's client (rd_kafka_new) in
 * connect, on a libuv worker. On librdkafka < 2.13, a client refused there after the plugins'
 * on_new() interceptors ran (a TLS file it cannot read, a SASL mechanism it does not have, an
 * unknown assignor, ...) frees the configuration's interceptors while the application's copy of
 * the configuration still points at them; destroying that copy then reads and frees them again
 * and the process dies (SIGSEGV or a double free). That is librdkafka issue #4142, fixed in 2.13.0
 * (commit 477eb2ef8). It needs a plugin in `plugin.library.paths` (ours, the background poll, or
 * the user's): without one the interceptor lists are empty and the failure path is harmless.
 *
 * So when a plugin is configured on librdkafka older than 2.13, connect first creates a
 * throwaway client of the same kind from the same configuration minus the plugins, their
 * properties and the brokers (it opens no connection): if librdkafka refuses it, connect rejects
 * with that refusal and the real client is never created; if not, the probe is destroyed and the
 * real client is created. What is left: a file deleted or changed between the probe and the real
 * creation. The probe costs 2 ms on a plaintext configuration, 4 ms with TLS and a CA file, 34 ms
 * with TLS and the default CA store (bench/creation-probe.ts).
 *
 * The same guard scrubs the configuration's secrets from the client's log lines and error events
 * (src/native/redaction.ts) and turns node-rdkafka's report of a refused creation into an
 * InvalidArgumentError, with or without the probe.
 */
import { checkBootstrap, type LibrdkafkaConfig } from './config';
import { checkConfigValues, configRefusal, createWithConfig } from './config-refusal';
import { prepareCodeTables } from './errors';
import type { Binding } from './loader';
import { isLibrdkafkaProperty } from './property-index';
import { redactError, redactorFor, type Redact } from './redaction';

/** The first librdkafka version whose failed rd_kafka_new() leaves the interceptors alone. */
const FIXED_IN: readonly [number, number, number] = [2, 13, 0];

/** node-rdkafka's code for a client librdkafka refused to create (producer and admin). */
const ERR__STATE = -172;

/** What node-rdkafka's Producer and KafkaConsumer give the guard. */
export interface GuardedClient {
  connect(metadataOptions: { timeout?: number }, cb: (err: Error | null, ...rest: unknown[]) => void): unknown;
}

/**
 * A throwaway client: connects (creating librdkafka's client) and disconnects (node-rdkafka's
 * Producer and KafkaConsumer both take a lone callback).
 */
export interface ProbeClient extends GuardedClient {
  disconnect(...args: never[]): unknown;
}

/** Whether librdkafka `version` ("2.12.0") frees a refused client's interceptors twice. */
export function hasInterceptorDoubleFree(version: string): boolean {
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (parts === null) return true;
  for (let i = 0; i < 3; i++) {
    const part = Number(parts[i + 1]);
    if (part !== FIXED_IN[i]) return part < FIXED_IN[i]!;
  }
  return false;
}

/** Whether `config` loads a librdkafka plugin. */
export function loadsPlugins(config: LibrdkafkaConfig): boolean {
  const paths = config['plugin.library.paths'];
  return typeof paths === 'string' && paths.trim() !== '';
}

/**
 * Whether a refused creation from `config` could crash the process: plugins on an affected
 * librdkafka. Whatever the other settings: librdkafka 2.12's rd_kafka_new() fails after on_new()
 * in the TLS context, the SASL provider, the mock cluster and the assignors, and the assignors
 * depend on more than `partition.assignment.strategy` (a `group.protocol.type` other than
 * "consumer" unregisters the built-in ones: found by the config fuzz, not by reading). A probe
 * costs about 2 ms; a missed failure point costs the process.
 */
export function creationCanCrash(config: LibrdkafkaConfig, version: string): boolean {
  return loadsPlugins(config) && hasInterceptorDoubleFree(version);
}

/**
 * The probe's configuration: `config` without the plugins and their properties (the keys
 * librdkafka itself does not know) and without brokers, so the probe connects nowhere.
 */
export function probeConfig(config: LibrdkafkaConfig): LibrdkafkaConfig {
  const probe: LibrdkafkaConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'plugin.library.paths' || key === 'bootstrap.servers' || key === 'metadata.broker.list') continue;
    if (isLibrdkafkaProperty(key) || key === 'event_cb') probe[key] = value;
  }
  return probe;
}

/**
 * Whether node-rdkafka's connect failed because librdkafka refused to create the client (rather
 * than in the metadata request after it): the producer reports `ERR__STATE`; the consumer a plain
 * Error (code -1) with librdkafka's text.
 */
function isRefusedCreation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === ERR__STATE || code === -1;
}

/**
 * Creates a throwaway client from {@link probeConfig}(`config`) with `build` and lets librdkafka
 * create it: resolves with librdkafka's refusal as an InvalidArgumentError, or undefined once the
 * accepted probe has been destroyed again.
 */
export function probeCreation(config: LibrdkafkaConfig, build: (config: LibrdkafkaConfig) => ProbeClient): Promise<Error | undefined> {
  return new Promise((resolve) => {
    let probe: ProbeClient;
    try {
      checkConfigValues(config);
      probe = build(probeConfig(config));
    } catch (err) {
      resolve(configRefusal(err, config));
      return;
    }
    // No broker: the metadata request after the creation fails at once, and node-rdkafka
    // destroys the client before it calls back.
    probe.connect({ timeout: 1 }, (err) => {
      if (err == null) (probe.disconnect as (cb: () => void) => unknown).call(probe, () => resolve(undefined));
      else resolve(isRefusedCreation(err) ? configRefusal(err, config, true) : undefined);
    });
  });
}

/** Makes `client` hand out its log lines and error events scrubbed by `redact`. */
function redactEvents(client: object, redact: Redact): void {
  const emitter = client as { emit?: (event: string | symbol, ...args: unknown[]) => boolean };
  const emit = emitter.emit;
  if (typeof emit !== 'function') return;
  emitter.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    const [payload] = args;
    if (event === 'event.log' && typeof payload === 'object' && payload !== null) {
      const log = payload as { message?: unknown };
      if (typeof log.message === 'string') args[0] = { ...log, message: redact(log.message) };
    } else if (event === 'event.error' || event === 'error') {
      redactError(payload, redact);
    }
    return emit.call(this, event, ...args);
  };
}

/**
 * Guards a native client created from `config` (by `build`, which the probe uses too) on a
 * binding whose librdkafka is `version`: its connect probes first when {@link creationCanCrash}
 * (never on CKJS 1.10, whose librdkafka 2.15 has the fix), turns a refused creation into
 * {@link configRefusal}'s error, and its events are scrubbed of the configuration's secrets.
 * Returns `client`.
 */
export function guardCreation<T extends GuardedClient>(
  client: T,
  config: LibrdkafkaConfig,
  build: (config: LibrdkafkaConfig) => ProbeClient,
  version: string,
): T {
  const redact = redactorFor(config);
  if (redact !== undefined) redactEvents(client, redact);
  const connect = client.connect;
  const guarded: GuardedClient['connect'] = (metadataOptions, cb) => {
    const probed = creationCanCrash(config, version) ? probeCreation(config, build) : Promise.resolve(undefined);
    void probed.then((refusal) => {
      if (refusal !== undefined) {
        cb(refusal);
        return;
      }
      connect.call(client, metadataOptions, (err, ...rest) =>
        cb(err != null && isRefusedCreation(err) ? configRefusal(err, config, true) : err, ...rest),
      );
    });
    return client;
  };
  (client as GuardedClient).connect = guarded;
  return client;
}

/**
 * A native client of `binding` made by `build` from `config`: the bootstrap servers checked, the
 * binding's error tables ready, the configuration's values checked for that binding and
 * librdkafka's refusal of it typed ({@link createWithConfig}), its creation guarded
 * ({@link guardCreation}).
 */
export function createGuarded<T extends ProbeClient>(binding: Binding, config: LibrdkafkaConfig, build: (config: LibrdkafkaConfig) => T): T {
  checkBootstrap(config);
  prepareCodeTables(binding);
  return guardCreation(createWithConfig(config, () => build(config), binding), config, build, binding.librdkafkaVersion);
}

/**
 * Rejects with librdkafka's refusal of `config` by creating a probe with `build` (always: for
 * node-rdkafka's AdminClient, which creates its client synchronously and reports a refusal
 * without librdkafka's text).
 */
export async function checkCreation(config: LibrdkafkaConfig, build: (config: LibrdkafkaConfig) => ProbeClient): Promise<void> {
  const refusal = await probeCreation(config, build);
  if (refusal !== undefined) throw refusal;
}
