import { InvalidArgumentError } from '../../../src';
import { checkConfigHazards } from '../../../src/native/config-hazards';
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
  it.each<[string, unknown]>([
    ['message.timeout.ms', 1.5],
    ['message.timeout.ms', 4294968296],
    ['message.timeout.ms', '4294968296'],
    ['message.timeout.ms', '1e6'],
    ['message.timeout.ms', '010'],
    ['message.timeout.ms', '0x10'],
    ['message.timeout.ms', '1000abc'],
    ['batch.num.messages', 1e21],
    ['acks', '1.0'],
  ])('an integer property: refuses %s %p, which librdkafka would read as another number', (key, value) => {
    expect(refusal({ [key]: value })?.message).toMatch(new RegExp(`^config "${key.replace(/\./g, '\\.')}" must be (a whole number|a decimal whole number|between)`));
  });

  it.each<[string, unknown]>([
    ['message.timeout.ms', 0],
    ['message.timeout.ms', '30000'],
    ['message.timeout.ms', ' 30000 '],
    ['message.timeout.ms', '+5'],
    ['acks', -1],
    ['acks', '-1'],
    ['acks', 'all'], // a named value: librdkafka's own table
    ['message.timeout.ms', 'soon'], // not a number at all: librdkafka refuses it itself
    ['linger.ms', 0.5],
    ['linger.ms', '5'],
    ['linger.ms', '1e3'],
    ['queue.buffering.max.ms', '.5'],
    ['linger.ms', 'soon'], // not a number at all: librdkafka refuses it itself, naming the property
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
  ])('a float property: refuses %s %p (NaN passes librdkafka\'s range check; strtod reads hex and a leading part)', (key, value) => {
    expect(refusal({ [key]: value })?.message).toMatch(/^config "linger\.ms" must be a (finite|decimal) number/);
  });

  it.each([
    ['metadata.max.age.ms', 2147484],
    ['broker.address.ttl', 86_400_000],
    ['reconnect.backoff.max.ms', '3600000'],
    ['reconnect.backoff.ms', 2_500_000],
    ['session.timeout.ms', 3_600_000],
    ['heartbeat.interval.ms', 3_600_000],
    ['coordinator.query.interval.ms', 3_000_000],
    ['topic.metadata.propagation.max.ms', 3_600_000],
  ])('refuses %s %p: librdkafka multiplies it by 1000 in a 32-bit int', (key, value) => {
    expect(refusal({ [key]: value })?.message).toMatch(
      new RegExp(`^config "${key.replace(/\./g, '\\.')}" must be at most 2147483 \\(35\\.8 minutes\\), got .*: librdkafka turns it into microseconds in a 32-bit int`),
    );
    expect(refusal({ [key]: 2147483 })).toBeUndefined();
  });

  it('refuses a topic.metadata.refresh.interval.ms whose default metadata.max.age.ms (3 times it) overflows, unless that is set', () => {
    expect(refusal({ 'topic.metadata.refresh.interval.ms': 3_600_000 })?.message).toBe(
      'config "topic.metadata.refresh.interval.ms" is 3600000, so librdkafka\'s default metadata.max.age.ms (3 times it) overflows its microsecond clock ' +
        'and cached metadata expires at once: set "metadata.max.age.ms" to at most 2147483, or this to at most 715827',
    );
    expect(refusal({ 'topic.metadata.refresh.interval.ms': 715_827 })).toBeUndefined();
    expect(refusal({ 'topic.metadata.refresh.interval.ms': -1 })).toBeUndefined();
    expect(refusal({ 'topic.metadata.refresh.interval.ms': 3_600_000, 'metadata.max.age.ms': 2_000_000 })).toBeUndefined();
  });

  it.each(['client.id', 'group.id', 'transactional.id', 'group.instance.id', 'client.rack'])(
    'refuses a %s over 32,767 bytes: librdkafka sends it with a 16-bit length',
    (key) => {
      expect(refusal({ [key]: 'a'.repeat(32_767) })).toBeUndefined();
      expect(refusal({ [key]: 'a'.repeat(32_768) })?.message).toBe(
        `config "${key}" is 32768 bytes long, more than 32767: librdkafka sends it with a 16-bit length, which would wrap and malform every request carrying it`,
      );
      // Bytes, not characters: 16,384 two-byte characters are 32,768 bytes.
      expect(refusal({ [key]: 'é'.repeat(16_384) })).toBeDefined();
    },
  );

  it.each(['bootstrap.servers', 'plugin.library.paths', 'topic.blacklist', 'sasl.username', 'sasl.password', 'partition.assignment.strategy'])(
    'refuses a %s over 64 KiB, which librdkafka copies onto a stack, and never shows a secret',
    (key) => {
      const secret = `S3CRET-${'x'.repeat(70_000)}`;
      const err = refusal({ [key]: secret });
      expect(err?.message).toBe(
        `config "${key}" is ${secret.length} bytes long, more than 65536: librdkafka copies it onto a thread stack, which a value of a few megabytes overflows`,
      );
      expect(refusal({ [key]: 'x'.repeat(65_536) })).toBeUndefined();
    },
  );

  it.each(['', '.*', '-', ' \t'])('refuses client.software.name %p: librdkafka would write past its end', (value) => {
    expect(refusal({ 'client.software.name': value })?.message).toMatch(/^config "client\.software\.name" must hold at least one ASCII letter or digit/);
  });

  it('refuses ut_handle_ProduceResponse, whose string librdkafka would call as a function', () => {
    expect(refusal({ ut_handle_ProduceResponse: 'x' })?.message).toBe(
      'config "ut_handle_ProduceResponse" is a librdkafka unit-test hook that only C code can set (a string there is called as a function)',
    );
  });

  it('runs after checkConfigValues\' type check, so a wrong type is named as such', () => {
    expect(() => checkConfigValues({ 'message.timeout.ms': 1.5 })).toThrow(/must be a whole number, got 1\.5/);
    expect(() => checkConfigValues({ 'message.timeout.ms': { ms: 1 } } as never)).toThrow(/must be a string, a number or a boolean, got an object/);
  });

  it('leaves alone what it has no rule for', () => {
    expect(refusal({ 'bootstrap.servers': 'broker:9092', 'compression.type': 'lz4', 'enable.idempotence': true, 'no.such.property': '010' })).toBeUndefined();
  });
});
