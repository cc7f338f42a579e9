import Kafka from 'node-rdkafka';
import {
  DeliveryError,
  InvalidArgumentError,
  QueueFullError,
} from '../../../src/core/errors';
import { asAIOError, codeName, fatalFromLog, fromLibrdkafka, nativeCodeName } from '../../../src/native/errors';
import { echoesFatal } from '../../../src/native/fatal';

// node-rdkafka's own error class: what the native layer really hands us.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const LibrdKafkaError = require('node-rdkafka/lib/error') as {
  create(e: unknown): Error & { code: number; isRetriable?: boolean; isFatal?: boolean };
};

const target = { topic: 'items', partition: 3 };

describe('librdkafka codes', () => {
  it('names numeric codes from node-rdkafka', () => {
    expect(codeName(Kafka.CODES.ERRORS.ERR__QUEUE_FULL)).toBe('ERR__QUEUE_FULL');
    expect(codeName(10)).toBe('ERR_MSG_SIZE_TOO_LARGE');
    expect(codeName(123456)).toBe('AIO_UNKNOWN');
  });

  it('recovers the code of a delivery-report error, which node-rdkafka hands over as text only', () => {
    // What node-rdkafka builds for a failed delivery report: new Error(err2str(code)).
    const fromReport = LibrdKafkaError.create(new Error('Local: Message timed out'));
    expect(fromReport.code).toBe(-1);
    expect(nativeCodeName(fromReport)).toBe('ERR__MSG_TIMED_OUT');
    expect(nativeCodeName(LibrdKafkaError.create(new Error('Broker: Not leader for partition')))).toBe(
      'ERR_NOT_LEADER_FOR_PARTITION',
    );
    expect(nativeCodeName(LibrdKafkaError.create(new Error('something else entirely')))).toBe('AIO_UNKNOWN');
  });
});

describe('fromLibrdkafka', () => {
  it('makes QueueFullError of a synchronous queue-full refusal', () => {
    const native = LibrdKafkaError.create(Kafka.CODES.ERRORS.ERR__QUEUE_FULL);
    const err = fromLibrdkafka(native, { kind: 'produce', target });
    expect(err).toBeInstanceOf(QueueFullError);
    expect(err.cause).toBe(native);
  });

  it('makes InvalidArgumentError with librdkafka\'s code of a size refusal', () => {
    const err = fromLibrdkafka(LibrdKafkaError.create(10), { kind: 'produce', target });
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(err.code).toBe('ERR_MSG_SIZE_TOO_LARGE');
  });

  it('makes DeliveryError of a failed report, with target and possiblyDelivered', () => {
    const timedOut = fromLibrdkafka(LibrdKafkaError.create(new Error('Local: Message timed out')), { kind: 'delivery', target });
    expect(timedOut).toBeInstanceOf(DeliveryError);
    expect(timedOut).toMatchObject({ topic: 'items', partition: 3, possiblyDelivered: true, retriable: true });
    const unknown = fromLibrdkafka(LibrdKafkaError.create(new Error('Local: Unknown partition')), { kind: 'delivery', target });
    expect(unknown).toMatchObject({ code: 'ERR__UNKNOWN_PARTITION', possiblyDelivered: false, retriable: false });
  });

  it("prefers node-rdkafka's own isRetriable / isFatal when the error carries them", () => {
    const native = LibrdKafkaError.create({ message: 'x', code: Kafka.CODES.ERRORS.ERR__MSG_TIMED_OUT, isRetriable: false, isFatal: true });
    const err = fromLibrdkafka(native, { kind: 'client' });
    expect(err).toMatchObject({ code: 'ERR__MSG_TIMED_OUT', retriable: false, fatal: true });
  });

  it('marks the fatal error code fatal', () => {
    const err = fromLibrdkafka(LibrdKafkaError.create(new Error('Local: Fatal error')), { kind: 'client' });
    expect(err).toMatchObject({ code: 'ERR__FATAL', fatal: true });
  });
});

describe('code names of aliases', () => {
  it("use librdkafka's current name, by number as by text", () => {
    expect(codeName(15)).toBe('ERR_COORDINATOR_NOT_AVAILABLE');
    expect(codeName(16)).toBe('ERR_NOT_COORDINATOR');
    expect(nativeCodeName(LibrdKafkaError.create(new Error('Broker: Coordinator not available')))).toBe('ERR_COORDINATOR_NOT_AVAILABLE');
  });
});

describe('asAIOError', () => {
  it('keeps one of ours as it is', () => {
    const ours = new QueueFullError('m');
    expect(asAIOError(ours, 'x')).toBe(ours);
  });

  it("maps node-rdkafka's errors by their numeric code, saying what failed", () => {
    const native = LibrdKafkaError.create({ message: 'Broker: Request timed out', code: 7 });
    const typed = asAIOError(native, 'commit failed');
    expect(typed).toMatchObject({ code: 'ERR_REQUEST_TIMED_OUT', retriable: true, cause: native });
    expect(typed.message).toMatch(/^commit failed: /);
  });

  it('does not take an error with a string code (a Node system error, a user throw) for a librdkafka one', () => {
    const system = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const typed = asAIOError(system, 'a "rebalance" listener threw');
    expect(typed).toMatchObject({ code: 'AIO_UNKNOWN', retriable: false, fatal: false, cause: system });
    expect(typed.message).toBe('a "rebalance" listener threw: connect ECONNREFUSED 127.0.0.1:1');
    expect(asAIOError('text', 'poll failed').message).toBe('poll failed: text');
  });
});

it('makes a commit refused during a rebalance retriable', () => {
  expect(fromLibrdkafka({ message: 'Broker: Group rebalance in progress', code: 27 }, { kind: 'client' })).toMatchObject({
    code: 'ERR_REBALANCE_IN_PROGRESS',
    retriable: true,
  });
});

describe('echoesFatal: librdkafka’s error event after the FATAL log line it echoes', () => {
  const logged = fatalFromLog({
    fac: 'FATAL',
    message: '[thrd:main]: Fatal error: Local: This instance has been fenced by a newer instance: Failed to add partitions to transaction: Local: This instance has been fenced by a newer instance',
  })!;

  it('node-rdkafka’s shape: origin and a lower-cased message, joined again', () => {
    expect(echoesFatal(logged, { message: 'this instance has been fenced by a newer instance', origin: 'local', code: -1 })).toBe(true);
  });

  it('CKJS’s shape: the whole text as message, origin beside it', () => {
    expect(echoesFatal(logged, { message: 'Local: This instance has been fenced by a newer instance', origin: 'kafka' })).toBe(true);
  });

  it('another error is no echo', () => {
    expect(echoesFatal(logged, { message: 'Local: All broker connections are down', origin: 'kafka' })).toBe(false);
  });
});

describe('nativeCodeName of a client error event', () => {
  it('CKJS’s whole text (origin "kafka", no code) and node-rdkafka’s split text name the same code', () => {
    expect(nativeCodeName({ message: 'Local: This instance has been fenced by a newer instance', origin: 'kafka' })).toBe('ERR__FENCED');
    expect(nativeCodeName({ message: 'this instance has been fenced by a newer instance', origin: 'local', code: -1 })).toBe('ERR__FENCED');
  });
});
