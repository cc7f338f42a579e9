import { AIOKafkaError } from '../../../src';
import { pollInBackgroundOnceConnected, type NativeProducer } from '../../../src/native/producer';

/*
 * CKJS's background poll, turned on once a connect succeeded (src/native/producer.ts), on a
 * stand-in for CKJS's Producer: a connect whose outcome the test sets, and a
 * setPollInBackground that works or throws.
 */

interface StandIn {
  native: NativeProducer;
  calls: string[];
}

function standIn({ connected = true, throws }: { connected?: boolean; throws?: Error } = {}): StandIn {
  const calls: string[] = [];
  const producer = {
    connect: (_options: unknown, cb: (err: Error | null) => void) => {
      calls.push('connect');
      setImmediate(() => cb(null));
    },
    isConnected: () => connected,
    setPollInBackground: (on: boolean) => {
      calls.push(`setPollInBackground(${on})`);
      if (throws !== undefined) throw throws;
    },
    disconnect: (_timeoutMs: number, cb: () => void) => {
      calls.push('disconnect');
      setImmediate(cb);
    },
  };
  return { native: producer as unknown as NativeProducer, calls };
}

function connect(native: NativeProducer): Promise<Error | null> {
  return new Promise((resolve) => native.connect({ timeout: 1000 }, resolve));
}

test('turns the background poll on once the connect succeeded, then answers the connect', async () => {
  const { native, calls } = standIn();
  pollInBackgroundOnceConnected(native);
  await expect(connect(native)).resolves.toBeNull();
  expect(calls).toEqual(['connect', 'setPollInBackground(true)']);
});

// Review of c775c26: a throw here escaped into CKJS's connect callback, and a producer whose
// background poll did not start said it had one (its reports then waited for their deadline).
test('a background poll that does not start fails the connect, typed, with its cause, and releases the client', async () => {
  const refused = new Error('Producer not connected');
  const { native, calls } = standIn({ throws: refused });
  pollInBackgroundOnceConnected(native);
  const err = await connect(native);
  expect(err).toBeInstanceOf(AIOKafkaError);
  expect(err).toMatchObject({ code: 'ERR__STATE', message: 'connect: the background poll did not start: Producer not connected', cause: refused });
  expect(calls).toEqual(['connect', 'setPollInBackground(true)', 'disconnect']);
});

test('a client disconnected as its connect answered fails the connect too, without touching the handle', async () => {
  const { native, calls } = standIn({ connected: false });
  pollInBackgroundOnceConnected(native);
  const err = await connect(native);
  expect(err).toMatchObject({ code: 'ERR__STATE', message: 'connect: the background poll did not start: the client was disconnected before it started' });
  // setPollInBackground on a disconnected CKJS client reads a freed handle: never called.
  expect(calls).toEqual(['connect', 'disconnect']);
});
