import { QueueFullError } from '../../src';
import { itOnMockCluster, randomTopic } from '../helpers/broker';
import { readTopic } from '../helpers/read-topic';
import { Ledger, expectClean, record } from './ledger';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { sleep, useBroker } from './setup';

/** At most `limit` holders at once; `acquire` waits for a release. */
class Semaphore {
  #free: number;
  #waiters: Array<() => void> = [];
  #held = 0;
  #drained: Array<() => void> = [];
  constructor(limit: number) {
    this.#free = limit;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      this.#held++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
    this.#held++;
  }
  release(): void {
    this.#held--;
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
    if (this.#held === 0) for (const done of this.#drained.splice(0)) done();
  }
  drain(): Promise<void> {
    return this.#held === 0 ? Promise.resolve() : new Promise((resolve) => this.#drained.push(resolve));
  }
}

function runOverloadProcess(total: number): Promise<{ total: number; delivered: number; failed: number; startRssMiB: number; peakRssMiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'overload-rss.js'), String(total)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`overload process exited with ${code}`))));
  });
}

const { broker, connect } = useBroker();

describe('overload', () => {
  itOnMockCluster('a caller far faster than the broker: backpressure waits and nothing is lost', async () => {
    const producer = await connect({ 'queue.buffering.max.messages': 500 }, { enqueueTimeoutMs: 30_000 });
    const ledger = new Ledger(randomTopic('overload'));
    await ledger.produce(producer);
    // The broker serves a third of the time: 400 ms frozen, 200 ms running.
    let throttling = true;
    const throttle = (async () => {
      while (throttling) {
        await broker().cluster!.pause();
        await sleep(400);
        await broker().cluster!.resume();
        await sleep(200);
      }
    })();
    // 20 callers each keep 250 calls in flight (5000 in all, 10x the local queue).
    const total = 20_000;
    let maxInFlight = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const window = new Semaphore(250);
        while (ledger.outcomes.size < total) {
          await window.acquire();
          void ledger.produce(producer).finally(() => window.release());
          maxInFlight = Math.max(maxInFlight, producer.inFlight);
        }
        await window.drain();
      }),
    );
    throttling = false;
    await throttle;
    const read = await readTopic(broker().bootstrapServers, ledger.topic, total, { settleMs: 1000, timeoutMs: 90_000 });
    const verdict = ledger.verify(read);
    record('overload: 5000 in flight over a 500-message local queue, broker serving 1/3 of the time', {
      ...verdict,
      missing: verdict.missing.length,
      duplicated: verdict.duplicated.length,
      maxInFlight,
    });
    expect(verdict.failed).toBe(0);
    expect(verdict.readBack).toBe(verdict.produced);
    expect(maxInFlight).toBeGreaterThan(500); // callers really were waiting for room
    expectClean(verdict);
  });

  itOnMockCluster('memory stays bounded under overload: peak RSS does not grow with the number of messages', async () => {
    const runs = [];
    for (const total of [30_000, 90_000]) runs.push(await runOverloadProcess(total));
    record('overload RSS (own process): 5000 in flight, 500-message queue, broker serving 1/3 of the time', { runs });
    for (const run of runs) expect(run.delivered).toBe(run.total);
    // Three times the messages must not need much more memory: what is held is bounded by what is in flight.
    expect(runs[1]!.peakRssMiB).toBeLessThan(runs[0]!.peakRssMiB * 1.5);
  });

  itOnMockCluster('QueueFullError comes only after enqueueTimeoutMs, and only to the calls that waited', async () => {
    const enqueueTimeoutMs = 1000;
    const producer = await connect({ 'queue.buffering.max.messages': 100 }, { enqueueTimeoutMs });
    const topic = randomTopic('queue-full');
    await producer.produce(topic, 'creates the topic');
    await broker().cluster!.pause();
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        producer.produce(topic, String(i)).then(
          () => ({ i, ok: true as const, afterMs: performance.now() - started }),
          (err: unknown) => ({ i, ok: false as const, err, afterMs: performance.now() - started }),
        ),
      ).map(async (p, i) => {
        // Resume once the waiting calls have given up, so the first 100 get delivered.
        if (i === 0) void sleep(enqueueTimeoutMs + 500).then(() => broker().cluster!.resume());
        return p;
      }),
    );
    const full = outcomes.filter((o) => !o.ok);
    record('queue full: 500 calls, queue of 100, broker frozen, enqueueTimeoutMs 1000', {
      delivered: outcomes.filter((o) => o.ok).length,
      queueFull: full.length,
      earliestQueueFullMs: Math.round(Math.min(...full.map((o) => o.afterMs))),
    });
    expect(outcomes.filter((o) => o.ok).map((o) => o.i)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(full).toHaveLength(400);
    expect(full.every((o) => !o.ok && o.err instanceof QueueFullError)).toBe(true);
    // Never before the deadline (performance.now is monotonic; timers may fire late, never early).
    expect(Math.min(...full.map((o) => o.afterMs))).toBeGreaterThanOrEqual(enqueueTimeoutMs - 1);
  });
});
