import pDefer from 'p-defer';
import type { AIOKafkaError } from '../core/errors';
import type { DeliveryReport } from './delivery-report';
import type { ProduceOptions } from './options';

/** One message of {@link AIOProducer.produceBatch}: where it goes, what it holds. */
export interface BatchMessage<K = Buffer | string | null, V = Buffer | string | null> extends Omit<ProduceOptions<K>, 'signal'> {
  /** A legal Kafka topic name. */
  topic: string;
  /** The message value (serialized by the producer's `valueSerializer`, if it has one). */
  value: V;
}

/**
 * The outcome of one message of a batch, in the shape of `Promise.allSettled`: the delivery
 * report, or the typed error (bad input, full queue, closed, delivery failure, abort).
 */
export type BatchResult =
  | { status: 'fulfilled'; value: DeliveryReport }
  | { status: 'rejected'; reason: AIOKafkaError };

/**
 * Collects a batch's outcomes, one slot per message, and resolves one Promise when the last
 * one is in: a batch allocates one Promise, not one per message.
 */
export class BatchResults {
  readonly #results: BatchResult[];
  #remaining: number;
  readonly #deferred = pDefer<BatchResult[]>();

  constructor(size: number) {
    this.#results = new Array<BatchResult>(size);
    this.#remaining = size;
    if (size === 0) this.#deferred.resolve(this.#results);
  }

  /** Resolves with every message's outcome, in the batch's order. Never rejects. */
  get promise(): Promise<BatchResult[]> {
    return this.#deferred.promise;
  }

  /** Records message `index`'s outcome (once; a second outcome for the same slot is ignored). */
  settle(index: number, err: AIOKafkaError | null, report: DeliveryReport | undefined): void {
    if (this.#results[index] !== undefined) return;
    this.#results[index] = err === null ? { status: 'fulfilled', value: report! } : { status: 'rejected', reason: err };
    if (--this.#remaining === 0) this.#deferred.resolve(this.#results);
  }
}
