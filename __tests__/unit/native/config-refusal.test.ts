import { AIOKafkaError, AIOProducer, InvalidArgumentError, UnsupportedByBindingError } from '../../../src';
import { CKJS, NODE_RDKAFKA } from '../../../src/core/bindings';
import { checkConfigValues, configRefusal, createWithConfig } from '../../../src/native/config-refusal';
import { CALLBACK_PROPERTIES } from '../../../src/native/loader';

/** Every text of an error and its cause chain: messages, stacks, other string fields. */
function allText(err: unknown): string {
  const texts: string[] = [];
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const record = e as Record<string, unknown>;
    for (const key of new Set([...Object.keys(record), 'message', 'stack'])) if (typeof record[key] === 'string') texts.push(record[key] as string);
  }
  return texts.join('\n');
}

describe('configRefusal', () => {
  it('names the alias the caller wrote, and its value, when librdkafka names its own property', () => {
    const cause = new Error('Invalid value for configuration property "queue.buffering.max.ms"');
    const err = configRefusal(cause, { 'linger.ms': 'soon' });
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.message).toBe(
      'librdkafka refused config "linger.ms" (librdkafka\'s name for it: "queue.buffering.max.ms") (got "soon"): ' +
        'Invalid value for configuration property "queue.buffering.max.ms"',
    );
    expect(err.cause).toBe(cause);
  });

  it('names the property as written when the caller used librdkafka\'s own name', () => {
    const err = configRefusal(new Error('Expected bool value for "enable.idempotence": true or false'), { 'enable.idempotence': 'yes' });
    expect(err.message).toMatch(/^librdkafka refused config "enable.idempotence" \(got "yes"\): Expected bool/);
  });

  it('keeps librdkafka\'s message when it names no property', () => {
    expect(configRefusal(new Error('something else'), {}).message).toBe('librdkafka refused the configuration: something else');
  });

  it.each([
    ['misspelt', { 'sasl.pasword': 'S3CRET-A' }, 'No such configuration property: "sasl.pasword"', /^librdkafka refused config "sasl.pasword": no such property \(did you mean "sasl.password"\?\)/],
    ['sensitive', { 'ssl.key.password': 'S3CRET-A' }, 'Invalid value for configuration property "ssl.key.password"', /^librdkafka refused config "ssl.key.password": Invalid value/],
  ])('never shows the value of a %s key, and scrubs it from the cause', (_what, config, text, expected) => {
    const cause = new Error(`${text} (S3CRET-A)`);
    const err = configRefusal(cause, config);
    expect(err.message).toMatch(expected);
    expect(allText(err)).not.toContain('S3CRET-A');
    expect(err.cause).toBe(cause);
  });

  it("reads the whole text of node-rdkafka's consumer error, which splits and lower-cases it", () => {
    // What node-rdkafka's LibrdKafkaError makes of the consumer's connect error.
    const mangled = Object.assign(new Error('x'), { message: 'nope', origin: 'unsupported partition.assignment.strategy', code: -1 });
    mangled.stack = 'Error: Unsupported partition.assignment.strategy: nope\n    at somewhere';
    const err = configRefusal(mangled, { 'partition.assignment.strategy': 'nope' }, true);
    expect(err.message).toBe(
      'librdkafka refused config "partition.assignment.strategy" (got "nope"): Unsupported partition.assignment.strategy: nope',
    );
    expect(err.cause).toBeInstanceOf(AIOKafkaError);
    expect((err.cause as AIOKafkaError).code).toBe('ERR__STATE');
    expect((err.cause as AIOKafkaError).cause).toBe(mangled);
  });

  it('names the property of a TLS file librdkafka could not load, without its value when it is a secret', () => {
    const native = { code: -172, message: 'ssl.key.location failed: error:0A080002:SSL routines::system lib' };
    const err = configRefusal(native, { 'ssl.key.location': '/secret/dir/client.key' }, true);
    expect(err.message).toBe('librdkafka refused config "ssl.key.location": ssl.key.location failed: error:0A080002:SSL routines::system lib');
  });

  it('names the property, not the quoted value, when librdkafka quotes both', () => {
    const err = configRefusal(new Error('Invalid value "fast" for configuration property "compression.codec"'), { 'compression.type': 'fast' });
    expect(err.message).toMatch(/^librdkafka refused config "compression.type" \(librdkafka's name for it: "compression.codec"\) \(got "fast"\)/);
  });

  it('names the first property the caller set that a creation refusal mentions', () => {
    const text = '`acks` must be set to `all` when `enable.idempotence` is true';
    const err = configRefusal({ code: -172, message: text }, { acks: 1, 'enable.idempotence': true }, true);
    expect(err.message).toBe(`librdkafka refused config "acks" (got 1): ${text}`);
    // The text says `acks`; the caller wrote the property under librdkafka's own name.
    const canonical = configRefusal({ code: -172, message: text }, { 'request.required.acks': '0', 'enable.idempotence': true }, true);
    expect(canonical.message).toBe(`librdkafka refused config "request.required.acks" (got "0"): ${text}`);
    const unset = 'sasl.username and sasl.password must be set';
    expect(configRefusal({ code: -172, message: unset }, { 'sasl.mechanisms': 'PLAIN' }, true).message).toBe(
      `librdkafka refused the configuration: ${unset}`,
    );
  });

  it('names sasl.mechanisms for an unsupported SASL mechanism, by the key the caller wrote', () => {
    const err = configRefusal({ code: -172, message: 'Unsupported SASL mechanism: GSSAPI' }, { 'sasl.mechanism': 'GSSAPI' }, true);
    expect(err.message).toMatch(/^librdkafka refused config "sasl.mechanism" \(librdkafka's name for it: "sasl.mechanisms"\) \(got "GSSAPI"\)/);
  });
});

describe('checkConfigValues', () => {
  it.each<[string, unknown, RegExp]>([
    ['an object', { secret: 'S3CRET-A' }, /config "sasl.password" must be a string, a number or a boolean, got an object$/],
    ['an array', ['S3CRET-A'], /got an array$/],
    ['null', null, /got null$/],
    ['a symbol', Symbol('S3CRET-A'), /got a symbol$/],
    ['a bigint', 10n, /got a bigint$/],
    ['a function', () => 'S3CRET-A', /got a function$/],
  ])('refuses %s for a string property, naming the key and the type only', (_what, value, expected) => {
    const attempt = (): void => checkConfigValues({ 'sasl.password': value } as never);
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(expected);
  });

  it('takes functions and booleans for callback properties, and plain values elsewhere', () => {
    expect(() => checkConfigValues({ rebalance_cb: () => undefined, dr_cb: true, 'linger.ms': 5, 'client.id': 'a', x: undefined })).not.toThrow();
    expect(() => checkConfigValues({ rebalance_cb: {} } as never)).toThrow(/config "rebalance_cb" must be a function or a boolean, got an object/);
  });

  it('on CKJS, a function only for the callback properties it binds: another one is refused, naming the key and what it takes', () => {
    const ckjs = { name: CKJS, callbackProperties: CALLBACK_PROPERTIES[CKJS] } as const;
    expect(() => checkConfigValues({ rebalance_cb: () => undefined, oauthbearer_token_refresh_cb: () => undefined }, ckjs)).not.toThrow();
    for (const key of ['error_cb', 'stats_cb', 'background_event_cb', 'ssl.certificate.verify_cb']) {
      const create = jest.fn();
      expect(() => createWithConfig({ [key]: () => undefined }, create, ckjs)).toThrow(
        new InvalidArgumentError(`config "${key}": @confluentinc/kafka-javascript takes no function for it (only for rebalance_cb, offset_commit_cb, oauthbearer_token_refresh_cb)`),
      );
      expect(create).not.toHaveBeenCalled();
    }
  });

  // Review of 09b4f06: node-rdkafka 3.6 binds rebalance_cb and offset_commit_cb only, and dropped
  // any other function without a word, the OAUTHBEARER token refresh the types list among them.
  it('on node-rdkafka, a function only for rebalance_cb and offset_commit_cb: the token refresh callback is refused naming CKJS, which takes it', () => {
    const nodeRdkafka = { name: NODE_RDKAFKA, callbackProperties: CALLBACK_PROPERTIES[NODE_RDKAFKA] } as const;
    expect(() => checkConfigValues({ rebalance_cb: () => undefined, offset_commit_cb: () => undefined }, nodeRdkafka)).not.toThrow();
    const create = jest.fn();
    const err = (() => {
      try {
        createWithConfig({ oauthbearer_token_refresh_cb: () => undefined }, create, nodeRdkafka);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsupportedByBindingError);
    expect(err).toMatchObject({ code: 'AIO_UNSUPPORTED_BY_BINDING', binding: NODE_RDKAFKA, supportedBy: CKJS });
    expect((err as Error).message).toBe(
      `config "oauthbearer_token_refresh_cb": node-rdkafka takes no function for it (only for rebalance_cb, offset_commit_cb); ${CKJS} does (binding: '${CKJS}')`,
    );
    expect(() => checkConfigValues({ error_cb: () => undefined }, nodeRdkafka)).toThrow(
      new InvalidArgumentError('config "error_cb": node-rdkafka takes no function for it (only for rebalance_cb, offset_commit_cb)'),
    );
    expect(create).not.toHaveBeenCalled();
  });

  it.each([1, '15', 9, 'SIGTERM'])('refuses internal.termination.signal %p: librdkafka would take the signal over in the whole process', (signal) => {
    expect(() => checkConfigValues({ 'internal.termination.signal': signal })).toThrow(/config "internal.termination.signal" must be 0 \(its default\) in Node.js/);
    expect(() => checkConfigValues({ 'internal.termination.signal': 0 })).not.toThrow();
    // Any other type is refused by its type (a symbol once threw TypeError here: the config fuzz).
    expect(() => checkConfigValues({ 'internal.termination.signal': Symbol('x') } as never)).toThrow(/got a symbol$/);
  });

  it.each<[string, unknown, string]>([
    ['acks', 10n, 'a bigint'],
    ['message.max.bytes', Symbol('x'), 'a symbol'],
    ['message.timeout.ms', { ms: 1 }, 'an object'],
  ])("refuses %s as %s where the producer reads it first, by its type, never a TypeError (found by the config fuzz)", async (key, value, type) => {
    const err = await AIOProducer.connect({ 'bootstrap.servers': '127.0.0.1:1', [key]: value as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe(`config "${key}" must be a string, a number or a boolean, got ${type}`);
  });

  // librdkafka 2.12 and 2.15 corrupt their heap on these (rd_kafka_sw_str_sanitize_inplace): the config fuzz.
  it.each([
    ['client.software.name', ''],
    ['client.software.name', '.*'],
    ['client.software.version', '-'],
    ['client.software.version', ' \t'],
  ])('refuses %s %p: librdkafka would read and write past its end', (key, value) => {
    expect(() => checkConfigValues({ [key]: value })).toThrow(
      new InvalidArgumentError(
        `config "${key}" must hold at least one ASCII letter or digit, got ${JSON.stringify(value)}: librdkafka reads and writes ` +
          'past the end of a value without one when it creates the client, which corrupts memory and kills the process',
      ),
    );
    const create = jest.fn();
    expect(() => createWithConfig({ [key]: value }, create)).toThrow(InvalidArgumentError);
    expect(create).not.toHaveBeenCalled();
  });

  it('takes client.software.name and .version with a letter or digit anywhere, and numbers', () => {
    expect(() => checkConfigValues({ 'client.software.name': '.my app!', 'client.software.version': 2 })).not.toThrow();
    expect(() => checkConfigValues({ 'client.software.version': '-1-' })).not.toThrow();
  });

  it('is checked before node-rdkafka sees the configuration', () => {
    const create = jest.fn();
    expect(() => createWithConfig({ 'sasl.password': { s: 1 } } as never, create)).toThrow(InvalidArgumentError);
    expect(create).not.toHaveBeenCalled();
  });
});
