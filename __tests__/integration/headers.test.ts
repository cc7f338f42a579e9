import { AIOProducer, InvalidArgumentError } from '../../src';
import { CKJS, NODE_RDKAFKA } from '../../src/core/bindings';
import { describeOn, onCkjs, testBinding } from '../helpers/binding';
import { randomTopic, startTestBroker, type TestBroker } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';

/*
 * What survives of a header value on its way through the binding to the broker and back,
 * measured over TCP: the binding's own produce() first (what any caller of it gets), then
 * AIOProducer, which sends what survives and refuses the rest. node-rdkafka sends every value as
 * a C string; @confluentinc/kafka-javascript sends Buffers byte for byte (strings as C strings).
 */

const Kafka = testBinding();

let broker: TestBroker;

beforeAll(async () => {
  broker = await startTestBroker(1);
});

afterAll(async () => {
  await broker.stop();
});

/** Produces one message with `headers` through the binding's Producer itself. */
async function produceRaw(topic: string, headers: Array<Record<string, unknown>>): Promise<void> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': broker.bootstrapServers, dr_cb: true }, {});
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  try {
    const delivered = new Promise<void>((resolve, reject) => producer.once('delivery-report', (err) => (err ? reject(err) : resolve())));
    producer.setPollInterval(10);
    producer.produce(topic, null, Buffer.from('v'), null, Date.now(), undefined, headers as never);
    await delivered;
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()));
  }
}

const REPLACEMENT = [0xef, 0xbf, 0xbd]; // U+FFFD in UTF-8

/** The values both bindings are measured with: text, bytes that are not UTF-8, a NUL, empty, a lone surrogate. */
const SAMPLES: Array<Record<string, unknown>> = [
  { utf8: Buffer.from('żółw ✓') },
  { binary: Buffer.from([0xff, 0xfe, 0x41]) },
  { nul: Buffer.from([0x41, 0x00, 0x42]) },
  { empty: Buffer.alloc(0) },
  { surrogate: '\ud800x' },
  { nulString: 'a\0b' },
];

/** Sends `headers` through the binding's Producer, reads the message back: each header's bytes, by name. */
async function roundTrip(headers: Array<Record<string, unknown>>): Promise<Record<string, number[]>> {
  const topic = randomTopic();
  await produceRaw(topic, headers);
  const [message] = await readTopic(broker.bootstrapServers, topic, 1);
  return Object.fromEntries(message!.headers.flatMap((h) => Object.entries(h)).map(([k, v]) => [k, [...v]]));
}

describeOn(NODE_RDKAFKA)('header values through node-rdkafka (measured, over TCP)', () => {
  it('keep NUL-free UTF-8 exactly, replace invalid UTF-8 with U+FFFD, cut at a NUL, keep empty as empty', async () => {
    const got = await roundTrip([...SAMPLES, { number: 42 }, { nullValue: null }]);
    expect(got).toEqual({
      utf8: [...Buffer.from('żółw ✓')],
      binary: [...REPLACEMENT, ...REPLACEMENT, 0x41],
      nul: [0x41],
      empty: [],
      surrogate: [...REPLACEMENT, 0x78],
      nulString: [0x61],
      number: [...Buffer.from('42')],
      nullValue: [...Buffer.from('null')],
    });
  });
});

describeOn(CKJS)('header values through @confluentinc/kafka-javascript (measured, over TCP)', () => {
  it('keep Buffers byte for byte (binary, a NUL, empty); cut a string at a NUL, replace a lone surrogate with U+FFFD', async () => {
    const got = await roundTrip(SAMPLES);
    expect(got).toEqual({
      utf8: [...Buffer.from('żółw ✓')],
      binary: [0xff, 0xfe, 0x41],
      nul: [0x41, 0x00, 0x42],
      empty: [],
      surrogate: [...REPLACEMENT, 0x78],
      nulString: [0x61],
    });
  });
});

describe('AIOProducer headers (over TCP)', () => {
  let producer: AIOProducer;
  beforeAll(async () => {
    producer = await AIOProducer.connect({ 'bootstrap.servers': broker.bootstrapServers, 'linger.ms': 1 });
  });
  afterAll(async () => {
    await producer.close();
  });

  it('sends an object map as headers in property order, an array as repeated names, bytes exact', async () => {
    const topic = randomTopic();
    await producer.produce(topic, 'v', {
      headers: { 'trace-id': 'abc', bin: Buffer.from('żółw'), tag: ['a', Buffer.from('b')], empty: Buffer.alloc(0), absent: undefined },
    });
    await producer.produce(topic, 'w', { headers: [{ 'trace-id': 'def' }, { tag: 'x', other: 'y' }] });
    const read = await readTopic(broker.bootstrapServers, topic, 2);
    const byValue = new Map(read.map((m) => [m.value!.toString(), m.headers]));
    expect(byValue.get('v')).toEqual([
      { 'trace-id': Buffer.from('abc') },
      { bin: Buffer.from('żółw') },
      { tag: Buffer.from('a') },
      { tag: Buffer.from('b') },
      { empty: Buffer.alloc(0) },
    ]);
    expect(byValue.get('w')).toEqual([{ 'trace-id': Buffer.from('def') }, { tag: Buffer.from('x') }, { other: Buffer.from('y') }]);
  });

  const refusedEverywhere: Array<[string, Record<string, string | Buffer>]> = [
    ['a NUL in a string', { s: 'a\0b' }],
    ['a lone surrogate in a string', { s: '\ud800x' }],
  ];
  const binary: Array<[string, Record<string, Buffer>]> = [
    ['binary bytes', { bin: Buffer.from([0xff, 0xfe, 0x41]) }],
    ['a NUL byte', { bin: Buffer.from([0x41, 0x00, 0x42]) }],
  ];

  it.each(onCkjs ? refusedEverywhere : [...binary, ...refusedEverywhere])(
    'refuses a value the binding would alter (%s), naming the header, sending nothing',
    async (_what, headers) => {
      const topic = randomTopic();
      const err = await producer.produce(topic, 'bad', { headers }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toContain(`header "${Object.keys(headers)[0]}" for topic "${topic}"`);
      await producer.produce(topic, 'good');
      const read = await readTopic(broker.bootstrapServers, topic, 1);
      expect(read.map((m) => m.value!.toString())).toEqual(['good']);
    },
  );

  (onCkjs ? it.each(binary) : it.skip.each(binary))('on CKJS, sends a Buffer of %s byte for byte', async (_what, headers) => {
    const topic = randomTopic();
    await producer.produce(topic, 'bin', { headers });
    const [message] = await readTopic(broker.bootstrapServers, topic, 1);
    expect(message!.headers).toEqual([{ bin: headers.bin }]);
  });
});
