/*
 * What a web-test server sees of one load run, for diagnosing latency tails: event-loop delay
 * (perf_hooks.monitorEventLoopDelay), GC pauses (a PerformanceObserver on 'gc'), the time each
 * request spent in the server (from its 'request' event to the response's 'finish'), the longest
 * stretch of the event loop without a turn, and the peaks of whatever the server samples (the
 * messages its producer holds in flight, the JS heap). The parent resets it before a run and
 * reads it after (http-endpoints.ts answers `probe-reset` and `probe-read` on the IPC channel).
 */
import { PerformanceObserver, createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';

/** One run's figures, in ms unless named otherwise. */
export interface ProbeReading {
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** Time in the server per request: handler and the write of the response. */
  serverP50Ms: number;
  serverP99Ms: number;
  serverMaxMs: number;
  /** Peak of each sampled gauge (sampled every 10 ms). */
  peaks: Record<string, number>;
  /** Each gauge as read now. */
  now: Record<string, number>;
}

const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;

export class ServerProbe {
  readonly #loop = monitorEventLoopDelay({ resolution: 1 });
  readonly #server: RecordableHistogram = createHistogram();
  readonly #gauges: Record<string, () => number>;
  readonly #peaks: Record<string, number> = {};
  #gcCount = 0;
  #gcTotal = 0;
  #gcMax = 0;
  readonly #gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      this.#gcCount++;
      this.#gcTotal += entry.duration;
      this.#gcMax = Math.max(this.#gcMax, entry.duration);
    }
  });
  readonly #sampler: NodeJS.Timeout;

  /** `gauges`: named readings sampled every 10 ms; their peak over the run is reported. */
  constructor(gauges: Record<string, () => number>) {
    this.#gauges = gauges;
    this.#loop.enable();
    this.#gc.observe({ entryTypes: ['gc'] });
    this.#sampler = setInterval(() => this.#sample(), 10).unref();
  }

  /** Times one request from now until `done` is called. */
  startRequest(): () => void {
    const t0 = process.hrtime.bigint();
    return () => this.#server.record(Number(process.hrtime.bigint() - t0) || 1);
  }

  /** Starts a new reading; first a full GC when the process runs with --expose-gc, so that no run pays for the garbage of the one before. */
  reset(): void {
    (globalThis as { gc?: () => void }).gc?.();
    this.#loop.reset();
    this.#server.reset();
    this.#gcCount = 0;
    this.#gcTotal = 0;
    this.#gcMax = 0;
    for (const k of Object.keys(this.#peaks)) delete this.#peaks[k];
  }

  read(): ProbeReading {
    const r = (v: number) => Math.round(v * 100) / 100;
    return {
      loopDelayP50Ms: ms(this.#loop.percentile(50)),
      loopDelayP99Ms: ms(this.#loop.percentile(99)),
      loopDelayMaxMs: ms(this.#loop.max),
      gcCount: this.#gcCount,
      gcTotalMs: r(this.#gcTotal),
      gcMaxMs: r(this.#gcMax),
      serverP50Ms: this.#server.count > 0 ? ms(this.#server.percentile(50)) : NaN,
      serverP99Ms: this.#server.count > 0 ? ms(this.#server.percentile(99)) : NaN,
      serverMaxMs: this.#server.count > 0 ? ms(this.#server.max) : NaN,
      peaks: { ...this.#peaks },
      now: Object.fromEntries(Object.entries(this.#gauges).map(([name, read]) => [name, read()])),
    };
  }

  stop(): void {
    clearInterval(this.#sampler);
    this.#loop.disable();
    this.#gc.disconnect();
  }

  #sample(): void {
    for (const [name, read] of Object.entries(this.#gauges)) this.#peaks[name] = Math.max(this.#peaks[name] ?? 0, read());
  }
}
