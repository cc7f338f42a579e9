import { InvalidArgumentError } from '../../../src';
import { checkConfigHazards, librdkafkaReadsInteger } from '../../../src/native/config-hazards';
import { checkConfigValues } from '../../../src/native/config-refusal';

/** The refusal of `config`, or undefined when it is taken. */
function refusal(config: Record<string, unknown>): InvalidArgumentError | undefined {
  try {
    checkConfigHazards(config as never);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
}

describe('checkConfigHazards: values librdkafka takes but mishandles', () => {
  it.each<[string, unknown, number]>([
    ['message.timeout.ms', 1.5, 1],
    ['message.timeout.ms', 4294968296, 1000],
    ['message.timeout.ms', '4294968296', 1000],
    ['message.timeout.ms', '1e6', 1],
    ['message.timeout.ms', '010', 8],
    ['message.timeout.ms', '08', 0],
    ['message.timeout.ms', '0b11', 0],
    ['message.timeout.ms', '1000abc', 1000],
    ['message.timeout.ms', '99999999999999999999', -1], // strtol saturates at 2^63-1, whose low 32 bits are -1
    ['heartbeat.interval.ms', 10000 / 3, 3333],
    ['batch.num.messages', 1e21, 1], // node-rdkafka writes it "1e+21"
    ['delivery.timeout.ms', '5s', 5], // an alias
  ])('an integer property: refuses %s %p, which librdkafka would read as %p', (key, value, read) => {
    expect(refusal({ [key]: value })?.message).toBe(
      `config "${key}" got ${JSON.stringify(value)}, which librdkafka would read as ${read}: write a decimal whole number between -2147483648 and 2147483647`,
    );
  });

  it('reads integers as librdkafka\'s (int)strtol(text, &end, 0) does', () => {
    expect(['0', '-1', ' 42\n', '+5', '0x10', '0X1f', '010', '0', '00', '30000.0', '2147483647', '2147483648', '-2147483648', '4294967296', 'abc', '', '-', '0x'].map(librdkafkaReadsInteger)).toEqual(
      [0, -1, 42, 5, 16, 31, 8, 0, 0, 30000, 2147483647, -2147483648, -2147483648, 0, undefined, undefined, undefined, 0],
    );
  });

  it.each<[string, unknown]>([
    ['message.timeout.ms', 0],
    ['message.timeout.ms', '30000'],
    ['message.timeout.ms', ' 30000\n'], // from an environment file
    ['message.timeout.ms', '+5'],
    ['message.timeout.ms', '30000.0'],
    ['message.timeout.ms', '05'],
    ['message.timeout.ms', '0x10'], // 16 to both
    ['message.timeout.ms', 1e3],
    ['message.timeout.ms', true], // librdkafka refuses it itself
    ['acks', -1],
    ['acks', '-1'],
    ['acks', 'all'], // a named value: librdkafka's own table
    ['message.timeout.ms', 'soon'], // not a number at all: librdkafka refuses it itself, naming the property
    ['socket.timeout.ms', '-2147483648'], // read as written; librdkafka refuses it by its range
    ['linger.ms', 0.5],
    ['linger.ms', '5'],
    ['linger.ms', '1e3'],
    ['queue.buffering.max.ms', '.5'],
    ['linger.ms', 'soon'],
  ])('takes %s %p', (key, value) => {
    expect(refusal({ [key]: value })).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['linger.ms', NaN],
    ['linger.ms', Infinity],
    ['linger.ms', 'nan'],
    ['linger.ms', 'inf'],
    ['linger.ms', '0x10'],
    ['linger.ms', '5ms'],
  ])("a float property: refuses %s %p (NaN passes librdkafka's range check; strtod reads hex and a leading part)", (key, value) => {
    expect(refusal({ [key]: value })?.message).toBe(
      `config "linger.ms" got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}: librdkafka reads it with C's strtod, which takes hex, NaN (past its range check) and a leading part: write a finite decimal number`,
    );
  });

  it.each([
    ['metadata.max.age.ms', 2147484],
    ['broker.address.ttl', 86_400_000],
    ['reconnect.backoff.max.ms', '3600000'],
    ['session.timeout.ms', 3_600_000],
    ['heartbeat.interval.ms', 3_600_000],
    ['coordinator.query.interval.ms', 3_000_000],
    ['topic.metadata.propagation.max.ms', 3_600_000],
  ])('refuses %s %p: librdkafka multiplies it by 1000 in a 32-bit int', (key, value) => {
    expect(refusal({ [key]: value })?.message).toMatch(
      new RegExp(`^config "${key.replace(/\./g, '\\.')}" must be at most 2147483 \\(35\\.8 minutes\\), got .*: librdkafka counts it in microseconds in a 32-bit int, which would wrap`),
    );
    expect(refusal({ [key]: 2147483 })).toBeUndefined();
  });

  it('refuses a topic.metadata.refresh.interval.ms whose default metadata.max.age.ms (3 times it) overflows, unless that is set', () => {
    expect(refusal({ 'topic.metadata.refresh.interval.ms': 3_600_000 })?.message).toBe(
      'config "topic.metadata.refresh.interval.ms" is 3600000, so librdkafka\'s default metadata.max.age.ms (3 times it) overflows its 32-bit microsecond count ' +
        'and the metadata cache\'s lifetime would be wrong: set "metadata.max.age.ms" to at most 2147483, or this to at most 715827',
    );
    // The number as librdkafka reads it first: "1e6" is 1, not a million.
    expect(refusal({ 'topic.metadata.refresh.interval.ms': '1e6' })?.message).toMatch(/would read as 1:/);
    expect(refusal({ 'topic.metadata.refresh.interval.ms': 715_827 })).toBeUndefined();
    expect(refusal({ 'topic.metadata.refresh.interval.ms': -1 })).toBeUndefined();
    expect(refusal({ 'topic.metadata.refresh.interval.ms': 3_600_000, 'metadata.max.age.ms': 2_000_000 })).toBeUndefined();
  });

  it.each(['client.id', 'group.id', 'transactional.id', 'group.instance.id', 'client.rack', 'group.protocol.type'])(
    'refuses a %s over 32,767 bytes: librdkafka writes it with a 16-bit length',
    (key) => {
      expect(refusal({ [key]: 'a'.repeat(32_767) })).toBeUndefined();
      expect(refusal({ [key]: 'a'.repeat(32_768) })?.message).toBe(
        `config "${key}" is 32768 bytes long, more than 32767: librdkafka writes it with a 16-bit length in requests, which would wrap and malform them`,
      );
      // Bytes, not characters: 16,384 two-byte characters are 32,768 bytes.
      expect(refusal({ [key]: 'é'.repeat(16_384) })).toBeDefined();
    },
  );

  it.each(['bootstrap.servers', 'metadata.broker.list', 'plugin.library.paths', 'topic.blacklist', 'partition.assignment.strategy'])(
    'refuses a %s over 64 KiB, which librdkafka copies onto a stack',
    (key) => {
      expect(refusal({ [key]: 'x'.repeat(65_537) })?.message).toBe(
        `config "${key}" is 65537 bytes long, more than 65536: librdkafka copies it onto a thread stack, which a few megabytes overflow (the limit leaves a wide margin)`,
      );
      expect(refusal({ [key]: 'x'.repeat(65_536) })).toBeUndefined();
    },
  );

  it.each(['sasl.username', 'sasl.password'])('refuses a %s over 16 KiB (a broker thread\'s stack is 128 KiB on musl), never showing it', (key) => {
    const secret = `S3CRET-${'x'.repeat(16_384)}`;
    expect(refusal({ [key]: secret })?.message).toBe(
      `config "${key}" is ${secret.length} bytes long, more than 16384: librdkafka copies the SASL username and password together onto a broker thread's stack, which is 128 KiB on musl`,
    );
    expect(refusal({ [key]: 'x'.repeat(16_384) })).toBeUndefined();
  });

  it.each(['', '.*', '-', ' \t'])('refuses client.software.name %p: librdkafka would write past its end', (value) => {
    expect(refusal({ 'client.software.name': value })?.message).toMatch(/^config "client\.software\.name" must hold at least one ASCII letter or digit/);
  });

  it('refuses ut_handle_ProduceResponse, whose string librdkafka would call as a function', () => {
    expect(refusal({ ut_handle_ProduceResponse: 'x' })?.message).toBe(
      'config "ut_handle_ProduceResponse" is a librdkafka unit-test hook that only C code can set (a string there is called as a function)',
    );
  });

  it('runs after checkConfigValues\' type check, so a wrong type is named as such', () => {
    expect(() => checkConfigValues({ 'message.timeout.ms': 1.5 })).toThrow(/got 1\.5, which librdkafka would read as 1/);
    expect(() => checkConfigValues({ 'message.timeout.ms': { ms: 1 } } as never)).toThrow(/must be a string, a number or a boolean, got an object/);
  });

  it('leaves alone what it has no rule for', () => {
    expect(refusal({ 'bootstrap.servers': 'broker:9092', 'compression.type': 'lz4', 'enable.idempotence': true, 'no.such.property': '010' })).toBeUndefined();
  });
});
