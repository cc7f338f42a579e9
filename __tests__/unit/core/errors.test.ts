import * as errors from '../../../src/core/errors';
import {
  AbortedError,
  AdminClosedError,
  AIOKafkaError,
  BindingUnavailableError,
  ClientClosedError,
  ConsumerClosedError,
  DeliveryError,
  HandlerError,
  InvalidArgumentError,
  InvalidStateError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
  SerializationError,
  TransactionError,
  UnsupportedByBindingError,
  UnsupportedByClusterError,
  WorkerThreadError,
  isAIOKafkaError,
} from '../../../src/core/errors';

const target = { topic: 'items', partition: 3 };

describe('error classes', () => {
  const table: Array<[AIOKafkaError, string, string, boolean]> = [
    [new AIOKafkaError('m', { code: 'ERR__FAIL' }), 'AIOKafkaError', 'ERR__FAIL', false],
    [new DeliveryError('m', { code: 'ERR__MSG_TIMED_OUT', retriable: true, ...target }), 'DeliveryError', 'ERR__MSG_TIMED_OUT', true],
    [new QueueFullError('m'), 'QueueFullError', 'ERR__QUEUE_FULL', true],
    [new ProducerClosedError('m', { possiblyDelivered: false }), 'ProducerClosedError', 'AIO_PRODUCER_CLOSED', false],
    [new InvalidArgumentError('m'), 'InvalidArgumentError', 'ERR__INVALID_ARG', false],
    [new OperationTimeoutError('m', 10), 'OperationTimeoutError', 'AIO_OPERATION_TIMEOUT', true],
    [new ConsumerClosedError('m'), 'ConsumerClosedError', 'AIO_CONSUMER_CLOSED', false],
    [new HandlerError('m', { ...target, offset: 1, cause: new Error('x') }), 'HandlerError', 'AIO_HANDLER_FAILED', false],
    [new AdminClosedError('m'), 'AdminClosedError', 'AIO_ADMIN_CLOSED', false],
    [new InvalidStateError('m'), 'InvalidStateError', 'AIO_INVALID_STATE', false],
    [new TransactionError('m', { code: 'AIO_TRANSACTION_PRODUCE_FAILED', abortable: true }), 'TransactionError', 'AIO_TRANSACTION_PRODUCE_FAILED', false],
    [new ClientClosedError('m', { code: 'AIO_PRODUCER_CLOSED' }), 'ClientClosedError', 'AIO_PRODUCER_CLOSED', false],
    [new SerializationError('m', { topic: 't', part: 'key', cause: new Error('x') }), 'SerializationError', 'AIO_SERIALIZATION', false],
    [new AbortedError('m', { possiblyDelivered: false, cause: undefined }), 'AbortedError', 'AIO_ABORTED', false],
    [new UnsupportedByClusterError('m', 'CreateTopics'), 'UnsupportedByClusterError', 'ERR__UNSUPPORTED_FEATURE', false],
    [new UnsupportedByBindingError('m', { binding: 'node-rdkafka', supportedBy: '@confluentinc/kafka-javascript' }), 'UnsupportedByBindingError', 'AIO_UNSUPPORTED_BY_BINDING', false],
    [new BindingUnavailableError('m'), 'BindingUnavailableError', 'AIO_BINDING_UNAVAILABLE', false],
    [new WorkerThreadError('m'), 'WorkerThreadError', 'AIO_WORKER_THREAD', false],
  ];

  it('covers every error class src/core/errors.ts defines', () => {
    const classes = Object.values(errors).filter((value) => typeof value === 'function' && value.prototype instanceof Error);
    expect(new Set(table.map(([err]) => err.constructor))).toEqual(new Set(classes));
  });

  it.each(table)('%p has name %s, code %s, retriable %s', (err, name, code, retriable) => {
    expect(err).toBeInstanceOf(AIOKafkaError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.retriable).toBe(retriable);
    expect(err.fatal).toBe(false);
    expect(isAIOKafkaError(err)).toBe(true);
  });

  it('has one closed-error base, of one shape, for the three clients', () => {
    const cause = new Error('native');
    const closed = [
      new ProducerClosedError('m', { possiblyDelivered: true, cause }),
      new ConsumerClosedError('m', { cause }),
      new AdminClosedError('m', { cause }),
    ];
    for (const err of closed) {
      expect(err).toBeInstanceOf(ClientClosedError);
      expect(err.cause).toBe(cause);
    }
    expect(closed.map((err) => err.code)).toEqual(['AIO_PRODUCER_CLOSED', 'AIO_CONSUMER_CLOSED', 'AIO_ADMIN_CLOSED']);
  });

  it('keeps the cause', () => {
    const cause = new Error('native');
    expect(new QueueFullError('m', cause).cause).toBe(cause);
    expect(new InvalidArgumentError('m', { cause }).cause).toBe(cause);
  });

  it('recognises an error made by another copy of the package, and nothing else', () => {
    const foreign = Object.create({ [Symbol.for('aio-rdkafka.AIOKafkaError')]: true }) as object;
    expect(isAIOKafkaError(foreign)).toBe(true);
    expect(isAIOKafkaError(new Error('x'))).toBe(false);
    expect(isAIOKafkaError(null)).toBe(false);
    expect(isAIOKafkaError('ERR__FAIL')).toBe(false);
  });
});

