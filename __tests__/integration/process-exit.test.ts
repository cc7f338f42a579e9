import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { DIST, requireDist, runNode } from '../helpers/run-node';

/*
 * These run the built package in a process of its own, because only there can we see what jest
 * hides: whether an unhandled rejection would crash the process (--unhandled-rejections=strict)
 * and whether the process ends by itself after close() (no timer or handle left behind).
 */

let broker: TestBroker;

beforeAll(async () => {
  requireDist();
  broker = await startTestBroker();
});
afterAll(() => broker.stop());

const OUT_OF_BAND_SCRIPT = `
const { AIOProducer } = require(${JSON.stringify(DIST)});
const [brokers, topic] = process.argv.slice(-2);
(async () => {
  const producer = await AIOProducer.connect({ 'bootstrap.servers': brokers, 'linger.ms': 1 });
  await producer.produce(topic, 'creates the topic');
  let callbacks = 0;
  let deliveryErrors = 0;
  let thrown = 0;
  producer.on('deliveryError', () => deliveryErrors++);
  for (let i = 0; i < 50; i++) {
    producer.produce2(topic, 'x', { partition: 99 });            // not awaited; fails on delivery
    producer.produce2('', 'x');                                   // not awaited; fails at once
    try {
      producer.produce2(topic, 'x', { partition: 99, fireAndForget: true }); // refused at once: throws
    } catch (err) {
      if (err.code === 'ERR__UNKNOWN_PARTITION') thrown++;
    }
    producer.produce2(topic, 'x', { partition: 99, onDelivery: () => callbacks++ });
  }
  await producer.flush(10000);
  await producer.close();
  console.log(JSON.stringify({ callbacks, deliveryErrors, thrown, inFlight: producer.inFlight }));
  // No process.exit(): the process has to end by itself.
})();
`;

describe('a process using AIOProducer', () => {
  it('raises no unhandled rejection from produce2 or fire-and-forget, and exits by itself after close()', async () => {
    const result = await runNode(OUT_OF_BAND_SCRIPT, [broker.bootstrapServers, randomTopic()]);
    expect(result.stderr).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
    expect(result.exitedByItself).toBe(true);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ callbacks: 50, deliveryErrors: 100, thrown: 50, inFlight: 0 });
  });

  it('proves the check itself: an unhandled rejection does crash such a process', async () => {
    const result = await runNode('Promise.reject(new Error("control"));', []);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/control/);
  });
});
