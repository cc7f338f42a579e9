import pDefer from 'p-defer';
import { Serial } from '../../../src/core/serial';

describe('Serial', () => {
  it('runs tasks one after another in call order, a failure not stopping the next', async () => {
    const serial = new Serial();
    const first = pDefer<string>();
    const started: string[] = [];
    const a = serial.run(() => {
      started.push('a');
      return first.promise;
    });
    const b = serial.run(() => {
      started.push('b');
      throw new Error('b failed');
    });
    const c = serial.run(() => {
      started.push('c');
      return 'c';
    });
    await Promise.resolve();
    expect(started).toEqual(['a']);
    expect(serial.size).toBe(3);
    first.resolve('a');
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(started).toEqual(['a', 'b', 'c']);
    expect(serial.size).toBe(0);
  });

  it('idle() waits for what was queued so far and never rejects', async () => {
    const serial = new Serial();
    const gate = pDefer<void>();
    void serial.run(() => gate.promise).catch(() => undefined);
    let idle = false;
    const waiting = serial.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    gate.reject(new Error('x'));
    await waiting;
    expect(idle).toBe(true);
  });
});
