// @ts-check
/*
 * Run by overload.test.ts in a process of its own, so that the RSS it reports is the producer's
 * and not jest's: N messages through a 500-message local queue with 5000 calls in flight while
 * the broker serves a third of the time. Prints { peakRssMiB, ... } as JSON.
 */
'use strict';
const { AIOProducer, startMockCluster } = require('../../dist');

const total = Number(process.argv[2]);
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

(async () => {
  const cluster = await startMockCluster();
  const producer = await AIOProducer.connect(
    { 'bootstrap.servers': cluster.bootstrapServers, 'linger.ms': 5, 'queue.buffering.max.messages': 500 },
    { enqueueTimeoutMs: 30_000 },
  );
  producer.on('error', () => {});
  await producer.produce('overload', 'creates the topic');
  let throttling = true;
  const throttle = (async () => {
    while (throttling) {
      await cluster.pause();
      await sleep(400);
      await cluster.resume();
      await sleep(200);
    }
  })();
  const startRss = process.memoryUsage().rss;
  let peakRss = startRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  let made = 0;
  let delivered = 0;
  let failed = 0;
  // 20 callers, each with at most 250 calls in flight.
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      let inFlight = 0;
      /** @type {(() => void) | undefined} */
      let wake;
      const done = () => {
        inFlight--;
        const w = wake;
        wake = undefined;
        if (w) w();
      };
      while (made < total) {
        made++;
        inFlight++;
        producer.produce('overload', String(made), { key: `k${made % 8}` }).then(
          () => (delivered++, done()),
          () => (failed++, done()),
        );
        if (inFlight >= 250) await new Promise((resolve) => (wake = () => resolve(undefined)));
      }
      while (inFlight > 0) await new Promise((resolve) => (wake = () => resolve(undefined)));
    }),
  );
  throttling = false;
  await throttle;
  clearInterval(sampler);
  await producer.close();
  await cluster.stop();
  const mib = (/** @type {number} */ bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  console.log(JSON.stringify({ total, delivered, failed, startRssMiB: mib(startRss), peakRssMiB: mib(peakRss) }));
})().catch((err) => {
  // Exit now, with the stack on stderr: the producer and the cluster may still hold the process
  // open, and overload.test.ts fails on a non-zero exit.
  console.error(err);
  process.exit(1);
});
