import {
  AdminClosedError,
  AIOKafkaError,
  ConsumerClosedError,
  DeliveryError,
  HandlerError,
  InvalidArgumentError,
  InvalidStateError,
  OperationTimeoutError,
  ProducerClosedError,
  QueueFullError,
  TransactionError,
  isAIOKafkaError,
} from '../../../src/core/errors';

const target = { topic: 'items', partition: 3 };

describe('error classes', () => {
  it.each<[AIOKafkaError, string, string, boolean]>([
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
  ])('%p has name %s, code %s, retriable %s', (err, name, code, retriable) => {
    expect(err).toBeInstanceOf(AIOKafkaError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.retriable).toBe(retriable);
    expect(err.fatal).toBe(false);
    expect(isAIOKafkaError(err)).toBe(true);
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

