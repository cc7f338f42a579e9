/*
 * Tasks run one after another, in the order they were queued: node-rdkafka's calls that must not
 * overlap (a transaction's, the admin client's), librdkafka's rebalance steps, an iterator's
 * next() calls. The one place this chain is written.
 */
import { noop } from './noop';

/** Runs tasks one at a time, in call order. A task that fails does not stop those after it. */
export class Serial {
  #tail: Promise<void> = Promise.resolve();
  #queued = 0;

  /** Tasks queued (the running one included) and not finished. */
  get size(): number {
    return this.#queued;
  }

  /** Queues `task` behind every task queued before; settles with its outcome. */
  run<T>(task: () => T | PromiseLike<T>): Promise<T> {
    this.#queued++;
    const result = this.#tail.then(task).finally(() => {
      this.#queued--;
    });
    this.#tail = result.then(noop, noop);
    return result;
  }

  /** Resolves once every task queued so far has finished; never rejects. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
