// @ts-check
/*
 * The process that hosts librdkafka's mock cluster for startMockCluster(). Plain JavaScript so
 * that it runs as it is, from src/ under ts-jest as well as from dist/.
 *
 * It reads the broker count from argv, creates a client with `test.mock.num.brokers` (which makes
 * librdkafka start a protocol-level mock cluster on 127.0.0.1), reads the brokers' addresses from
 * metadata and sends them to the parent over IPC. It exits when the parent goes away (the IPC
 * channel closes) or asks it to.
 */
'use strict';

const Kafka = require('node-rdkafka');

const brokers = Number(process.argv[2] ?? '3');

/** @param {unknown} message */
function send(message) {
  if (process.send) process.send(message);
}

// The parent died or disconnected: nobody can reach this cluster any more.
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message === 'stop') process.exit(0);
});

/** @type {any} node-rdkafka's config type does not list the test.* properties. */
const config = {
  'test.mock.num.brokers': brokers,
  'client.id': 'aio-rdkafka-mock-cluster',
  // The host client produces nothing; keep it quiet.
  'log_level': 3,
};
const client = new Kafka.Producer(config);

client.connect({ timeout: 10000 }, (err) => {
  if (err) {
    send({ type: 'error', message: String(err && err.message) });
    process.exit(1);
  }
  client.getMetadata({ timeout: 10000 }, (metaErr, metadata) => {
    if (metaErr) {
      send({ type: 'error', message: String(metaErr.message) });
      process.exit(1);
    }
    const bootstrapServers = metadata.brokers.map((b) => `${b.host}:${b.port}`).join(',');
    send({ type: 'ready', bootstrapServers });
  });
});
