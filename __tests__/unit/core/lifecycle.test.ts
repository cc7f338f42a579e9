import { EventEmitter } from 'node:events';
import { ClientEvents } from '../../../src/core/client-events';
import { AIOKafkaError } from '../../../src/core/errors';
import { CloseOnce, disconnectNative } from '../../../src/core/lifecycle';
import { asAIOError } from '../../../src/native/errors';
import { nativeError } from '../../helpers/fake-native-producer';

describe('CloseOnce', () => {
  it('runs the close once and hands every caller the same promise', async () => {
    const closer = new CloseOnce();
    const close = jest.fn(async () => {});
    const first = closer.run(() => 1, close);
    const second = closer.run(() => 2, close);
    expect(second).toBe(first);
    expect(close).toHaveBeenCalledWith(1);
    expect(close).toHaveBeenCalledTimes(1);
    expect(closer.started).toBe(true);
    await first;
  });

  it('starts nothing when the arguments are refused, and a later good call still closes', async () => {
    const closer = new CloseOnce();
    const close = jest.fn(async () => {});
    await expect(
      closer.run(() => {
        throw new Error('bad timeout');
      }, close),
    ).rejects.toThrow('bad timeout');
    expect(closer.started).toBe(false);
    await closer.run(() => 0, close);
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('disconnectNative', () => {
  it('resolves with the error reported or thrown, never rejects', async () => {
    const err = new Error('x');
    await expect(disconnectNative((cb) => cb(null))).resolves.toBeUndefined();
    await expect(disconnectNative((cb) => cb(err))).resolves.toBe(err);
    await expect(
      disconnectNative(() => {
        throw err;
      }),
    ).resolves.toBe(err);
  });
});

describe('ClientEvents', () => {
  it('emits error as a typed error that keeps the cause and says what failed', () => {
    const emitter = new EventEmitter();
    const seen: AIOKafkaError[] = [];
    emitter.on('error', (e: AIOKafkaError) => seen.push(e));
    const thrown = Object.assign(new Error('boom'), { code: 'EPIPE' });
    new ClientEvents(emitter).error(thrown, 'a "stats" listener threw');
    expect(seen[0]).toBeInstanceOf(AIOKafkaError);
    expect(seen[0]).toMatchObject({ code: 'AIO_UNKNOWN', cause: thrown, message: 'a "stats" listener threw: boom' });
  });

  it('reports a throwing listener as error, and an error nobody hears to stderr, never throwing', () => {
    const emitter = new EventEmitter();
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const events = new ClientEvents(emitter);
      emitter.on('rebalance', () => {
        throw new Error('listener bug');
      });
      expect(() => events.emit('rebalance', {})).not.toThrow();
      expect(write).toHaveBeenCalledWith(expect.stringMatching(/"rebalance" listener threw: listener bug/));
    } finally {
      write.mockRestore();
    }
  });
});

describe('ClientEvents while the client connects', () => {
  const clientError = nativeError(-195);

  it('holds back what would go to stderr, and reports it once connected', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // A native error is typed by the native layer's mapping, which the clients hand over.
      const events = new ClientEvents(new EventEmitter(), undefined, asAIOError);
      events.hold();
      events.error(clientError, 'client error');
      expect(write).not.toHaveBeenCalled();
      events.open();
      expect(write).toHaveBeenCalledTimes(1);
      expect(write).toHaveBeenCalledWith(expect.stringMatching(/client error \[ERR__TRANSPORT\]/));
    } finally {
      write.mockRestore();
    }
  });

  it('drops it when connect failed: the rejection says it, and the caller who handled that sees nothing on stderr', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // A native error is typed by the native layer's mapping, which the clients hand over.
      const events = new ClientEvents(new EventEmitter(), undefined, asAIOError);
      events.hold();
      events.error(clientError, 'client error');
      events.mute();
      events.open();
      events.error(clientError, 'client error');
      expect(write).not.toHaveBeenCalled();
    } finally {
      write.mockRestore();
    }
  });
});
