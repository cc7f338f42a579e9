import { REDACTED, isSecretKey, redactError, redactorFor } from '../../../src/native/redaction';

describe('isSecretKey', () => {
  it('is true for what librdkafka marks sensitive (aliases too) and for keys it does not know', () => {
    expect(isSecretKey('sasl.password')).toBe(true);
    expect(isSecretKey('ssl.key.location')).toBe(true);
    expect(isSecretKey('sasl.oauthbearer.client.credentials.client.secret')).toBe(true);
    expect(isSecretKey('sasl.pasword')).toBe(true);
    expect(isSecretKey('user.plugin.tag')).toBe(true);
  });

  it('is false for the rest of librdkafka and for the keys this package sets itself', () => {
    expect(isSecretKey('bootstrap.servers')).toBe(false);
    expect(isSecretKey('ssl.ca.location')).toBe(false);
    expect(isSecretKey('aio.poll.background')).toBe(false);
    expect(isSecretKey('event_cb')).toBe(false);
  });
});

describe('redactorFor', () => {
  it('is undefined when the configuration holds no secret', () => {
    expect(redactorFor({ 'bootstrap.servers': 'b:9092', 'linger.ms': 5, 'aio.poll.background': 'true' })).toBeUndefined();
  });

  it('scrubs the whole value and its words (a path in an OpenSSL line, a piece of sasl.oauthbearer.config)', () => {
    const redact = redactorFor({
      'ssl.key.location': '/etc/kafka/secret.key',
      'sasl.oauthbearer.config': 'principal=svc-S3CRET lifeSeconds=notanumber',
      'sasl.pasword': 12345678,
      'bootstrap.servers': 'b:9092',
    })!;
    expect(redact('calling fopen(/etc/kafka/secret.key, r)')).toBe(`calling fopen(${REDACTED}, r)`);
    expect(redact("Invalid sasl.oauthbearer.config: non-integral 'lifeSeconds': notanumber")).not.toMatch(/notanumber|lifeSeconds/);
    expect(redact('principal svc-S3CRET')).not.toContain('S3CRET');
    expect(redact('got 12345678')).toBe(`got ${REDACTED}`);
    expect(redact('connected to b:9092')).toBe('connected to b:9092');
  });

  it('leaves short pieces and true/false alone: they would blank out ordinary words', () => {
    expect(redactorFor({ 'sasl.password': 'abc' })).toBeUndefined();
    expect(redactorFor({ 'user.plugin.flag': true })).toBeUndefined();
  });
});

describe('redactError', () => {
  it('scrubs message, stack and other texts along the cause chain, in place', () => {
    const redact = redactorFor({ 'sasl.password': 'S3CRET-A' })!;
    const inner = Object.assign(new Error('inner S3CRET-A'), { origin: 'S3CRET-A' });
    const outer = new Error('outer S3CRET-A', { cause: inner });
    redactError(outer, redact);
    expect(outer.message).toBe(`outer ${REDACTED}`);
    expect(outer.stack).not.toContain('S3CRET-A');
    expect(inner.message).toBe(`inner ${REDACTED}`);
    expect(inner.origin).toBe(REDACTED);
    expect(inner.stack).not.toContain('S3CRET-A');
  });

  it('survives a cause cycle and non-errors', () => {
    const redact = redactorFor({ 'sasl.password': 'S3CRET-A' })!;
    const a: { message: string; cause?: unknown } = { message: 'S3CRET-A' };
    a.cause = a;
    redactError(a, redact);
    expect(a.message).toBe(REDACTED);
    expect(() => redactError('S3CRET-A', redact)).not.toThrow();
  });
});
