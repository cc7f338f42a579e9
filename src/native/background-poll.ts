/*
 * The background poll: a librdkafka plugin (native/poller.c, built at install time) that runs one
 * thread per client blocking in rd_kafka_poll(), so that a delivery report is served the moment
 * librdkafka has it; node-rdkafka's callbacks are thread-safe and hand it to JavaScript through
 * uv_async. JavaScript then polls only as a safety net. Without the plugin (not built on this
 * platform, or refused by librdkafka) the producer polls on its timer alone.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LibrdkafkaConfig } from './config';

/** Where node-gyp puts the plugin (binding.gyp), under the package's root. */
const PLUGIN_FILE = join('build', 'Release', 'aio_rdkafka_poller.node');
/** The configuration property the plugin claims. */
export const BACKGROUND_POLL_PROPERTY = 'aio.poll.background';

let pluginPath: string | null | undefined;

/** The built plugin's path, or undefined when it was not built. */
export function pollerPlugin(): string | undefined {
  pluginPath ??= findPlugin();
  return pluginPath ?? undefined;
}

/**
 * The package root is the nearest folder above this file with a package.json: dist/native/ and
 * src/native/ are two levels down, a compiled copy elsewhere (the benchmarks') may be deeper.
 */
function findPlugin(): string | null {
  for (let dir = dirname(__dirname); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) {
      const path = join(dir, PLUGIN_FILE);
      return existsSync(path) ? path : null;
    }
  }
  return null;
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
