#!/usr/bin/env node
/*
 * Builds the librdkafka background poll plugin (native/poller.c) at install time, against node-rdkafka's
 * own librdkafka. It is an optimisation, not a requirement: when it cannot be built (no compiler,
 * node-rdkafka linked to a system librdkafka, an unsupported platform) the install still
 * succeeds and AIOProducer polls on its timer alone. The reason is printed here, once.
 */
'use strict';
const { spawnSync } = require('node:child_process');

if (process.platform !== 'linux') {
  console.warn(`aio-rdkafka: the background poll plugin is built on Linux only (here: ${process.platform}); the producer polls on its timer.`);
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { stdio: 'inherit', shell: false });
if (result.status !== 0) {
  console.warn(
    'aio-rdkafka: the background poll plugin could not be built ' +
      `(${result.error ? result.error.message : `node-gyp exited with ${result.status}`}); the producer polls on its timer.`,
  );
}
process.exit(0);
