/*
 * The background poll: a librdkafka plugin (native/poller.c, built at install time) that runs one
 * thread per client blocking in rd_kafka_poll(), so that a delivery report is served the moment
 * librdkafka has it; node-rdkafka's callbacks are thread-safe and hand it to JavaScript through
 * uv_async. JavaScript then polls only as a safety net. Without the plugin (not built on this
 * platform, or refused by librdkafka) the producer polls on its timer alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LibrdkafkaConfig } from './config';

/** Where node-gyp puts the plugin (native/binding.gyp), under the package's root. */
const PLUGIN_FILE = join('native', 'build', 'Release', 'aio_rdkafka_poller.node');
/** The configuration property the plugin claims. */
export const BACKGROUND_POLL_PROPERTY = 'aio.poll.background';

/** What scripts/build-poller.js writes, under the package's root, when it could not build the plugin. */
const NOT_BUILT_FILE = join('native', 'build', 'NOT_BUILT');

let pluginPath: string | null | undefined;
let warned = false;

/** The built plugin's path, or undefined when it was not built. */
export function pollerPlugin(): string | undefined {
  pluginPath ??= findPlugin();
  return pluginPath ?? undefined;
}

/**
 * The package root is the nearest folder above this file with a package.json: dist/native/ and
 * src/native/ are two levels down, a compiled copy elsewhere (the benchmarks') may be deeper.
 */
function packageRoot(): string | undefined {
  for (let dir = dirname(__dirname); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return undefined;
}

function findPlugin(): string | null {
  const root = packageRoot();
  const path = root === undefined ? undefined : join(root, PLUGIN_FILE);
  return path !== undefined && existsSync(path) ? path : null;
}

/**
 * The first time in this process that a producer wanted the background poll and the plugin is
 * missing: what that costs and why it is missing, as the install recorded it (npm shows no
 * output of a dependency's install script that succeeded, so this is where the user learns of
 * it). Undefined afterwards, and whenever the plugin is there.
 */
export function missingPluginWarning(): string | undefined {
  if (warned || pollerPlugin() !== undefined) return undefined;
  warned = true;
  const root = packageRoot();
  let why = 'it was not built at install (`npm rebuild aio-rdkafka` builds it)';
  try {
    if (root !== undefined) why = readFileSync(join(root, NOT_BUILT_FILE), 'utf8').trim().replace(/\n/g, ' ');
  } catch {
    // No record: the install script did not run (--ignore-scripts, or pnpm without approval).
  }
  return `the producer polls on its timer alone, so an awaited produce() waits for the next poll tick. ${why}`;
}

/**
 * `config` with the plugin loaded first (librdkafka must load it before its property is set),
 * after any plugins the user configured, and the background poll switched on.
 */
export function withBackgroundPoll(config: LibrdkafkaConfig, plugin: string): LibrdkafkaConfig {
  const { 'plugin.library.paths': theirs, ...rest } = config;
  const plugins = typeof theirs === 'string' && theirs.trim() !== '' ? `${theirs};${plugin}` : plugin;
  return { 'plugin.library.paths': plugins, [BACKGROUND_POLL_PROPERTY]: 'true', ...rest };
}

/**
 * Creates the native client with the background poll when `wanted` and the plugin is built.
 * When librdkafka refuses the plugin (it loads it while the configuration is built), creates the
 * client without it: the background poll can never be why a client does not start.
 */
export function createWithBackgroundPoll<T>(
  factory: (config: LibrdkafkaConfig) => T,
  config: LibrdkafkaConfig,
  wanted: boolean,
): { native: T; backgroundPoll: boolean } {
  const plugin = wanted ? pollerPlugin() : undefined;
  if (plugin !== undefined) {
    try {
      return { native: factory(withBackgroundPoll(config, plugin)), backgroundPoll: true };
    } catch {
      // Refused: without it below (a bad user config fails there, with its own error).
    }
  }
  return { native: factory(config), backgroundPoll: false };
}
