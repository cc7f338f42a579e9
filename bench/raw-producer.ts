/*
 * The hand-written baseline: raw node-rdkafka `Producer.produce` with a per-message delivery
 * promise (numeric opaque -> Map of resolvers) and its own poll timer that runs only while
 * something is in flight. What a careful user would write without AIOProducer.
 */
import * as Kafka from 'node-rdkafka';
import { splitConfig } from '../src/native/config';

export interface RawReport {
  partition: number;
  offset: number;
}

interface Resolvers {
  resolve(report: RawReport): void;
  reject(err: Error): void;
}

/**
 * A node-rdkafka `Producer` (or `HighLevelProducer`) built from one flat config the way
 * AIOProducer builds its own: node-rdkafka installs its 2nd constructor argument as librdkafka's
 * default topic configuration, which replaces topic-level properties (partitioner, acks,
 * message.timeout.ms, compression.*) given in the global object, so they must go there.
 */
export function newRawProducer(config: Record<string, unknown>, kind: 'Producer' | 'HighLevelProducer' = 'Producer'): Kafka.Producer {
  const [global, topic] = splitConfig(config as Parameters<typeof splitConfig>[0]);
  return kind === 'Producer'
    ? new Kafka.Producer(global as Kafka.ProducerGlobalConfig, topic as Kafka.ProducerTopicConfig)
    : new Kafka.HighLevelProducer(global as Kafka.ProducerGlobalConfig, topic as Kafka.ProducerTopicConfig);
}

export class RawAwaitableProducer {
  readonly native: Kafka.Producer;
  readonly #pending = new Map<number, Resolvers>();
  /** Poll period in ms while something is in flight, or 'immediate': poll on every event-loop turn. */
  readonly #pollMs: number | 'immediate';
  #nextId = 1;
  /** Messages produced without a promise (fire-and-forget) and not yet reported. */
  #untracked = 0;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Delivery failures of fire-and-forget messages. */
  fireAndForgetErrors = 0;

  private constructor(native: Kafka.Producer, pollMs: number | 'immediate') {
    this.native = native;
    this.#pollMs = pollMs;
    native.on('delivery-report', (err, report) => {
      const id = report.opaque as unknown;
      if (typeof id !== 'number') {
        this.#untracked--;
        if (err) this.fireAndForgetErrors++;
      } else {
        const entry = this.#pending.get(id);
        if (entry !== undefined) {
          this.#pending.delete(id);
          if (err) entry.reject(err as unknown as Error);
          else entry.resolve({ partition: report.partition, offset: report.offset });
        }
      }
      if (this.inFlight === 0) this.#stopTimer();
    });
  }

  /**
   * `pollMs`: poll period while something is in flight (a 1 ms timer by default, as AIOProducer
   * polls), or `'immediate'`: a setImmediate loop, one poll per event-loop turn while in flight
   * (the lowest latency node-rdkafka can give, at the cost of a busy loop).
   */
  static connect(config: Record<string, unknown>, pollMs: number | 'immediate' = 1): Promise<RawAwaitableProducer> {
    // Topic-level properties go in the second argument, as AIOProducer does (see newRawProducer).
    const native = newRawProducer({ ...config, dr_cb: true });
    const raw = new RawAwaitableProducer(native, pollMs);
    return new Promise((resolve, reject) => {
      native.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve(raw)));
    });
  }

  get inFlight(): number {
    return this.#pending.size + this.#untracked;
  }

  /** Resolves with the delivery report; rejects on a delivery failure or a synchronous throw. */
  produce(topic: string, value: Buffer, key: Buffer | null = null): Promise<RawReport> {
    const id = this.#nextId++;
    return new Promise<RawReport>((resolve, reject) => {
      try {
        this.native.produce(topic, null, value, key, null, id);
      } catch (err) {
        reject(err as Error);
        return;
      }
      this.#pending.set(id, { resolve, reject });
      this.#startTimer();
    });
  }

  /** Fire-and-forget with delivery reports still on: failures are counted, nothing is awaited. */
  produceAndForget(topic: string, value: Buffer, key: Buffer | null = null): void {
    this.native.produce(topic, null, value, key, null);
    this.#untracked++;
    this.#startTimer();
  }

  #startTimer(): void {
    if (this.#timer !== undefined || this.#immediate !== undefined) return;
    if (this.#pollMs === 'immediate') {
      const loop = (): void => {
        this.native.poll();
        // The delivery-report listener may have stopped the loop (nothing in flight) meanwhile.
        if (this.#immediate !== undefined) this.#immediate = setImmediate(loop);
      };
      this.#immediate = setImmediate(loop);
      return;
    }
    this.#timer = setInterval(() => this.native.poll(), this.#pollMs);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.native.flush(30_000, () => {
        this.#stopTimer();
        this.native.disconnect(5_000, () => resolve());
      });
    });
  }
}
