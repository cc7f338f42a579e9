/*
 * Tracing through `node:diagnostics_channel`: one TracingChannel per operation, named
 * `aio-rdkafka:<client>:<operation>`. Every publication goes through {@link OperationChannel},
 * whose `active` check is the one rule that keeps tracing free when nobody subscribes: callers
 * test it before they build a payload, so an untraced call allocates nothing for tracing.
 *
 * The sub-channels are published by hand (not only with `tracePromise`) because some operations
 * settle from callbacks (a delivery report), not from a Promise the call returns. The order is
 * always TracingChannel's: `start` (the call begins), `end` (the call returned), then, once the
 * operation settled, `error` (only when it failed), `asyncStart`, `asyncEnd`.
 */
import { tracingChannel, type TracingChannel } from 'node:diagnostics_channel';
import type { AIOKafkaError } from './errors';

/** The prefix of every channel name. */
export const CHANNEL_PREFIX = 'aio-rdkafka';

/** What every traced operation's context carries once it settled. */
export interface TraceOutcome<R, E = unknown> {
  /** Set before `error` is published: the operation's typed error. */
  error?: E;
  /** Set before `asyncStart` when the operation succeeded. */
  result?: R;
}

/** Payload of `aio-rdkafka:producer:connect` and `aio-rdkafka:consumer:connect`. */
export interface ConnectTrace {
  /** `bootstrap.servers` from the config. */
  readonly bootstrapServers: string | undefined;
  /** The consumer's `group.id`; undefined for a producer. */
  readonly groupId: string | undefined;
  /** Set before `asyncStart`: the connected client. */
  result?: unknown;
  /**
   * Set before `error`: the typed error connect rejects with (`InvalidArgumentError`,
   * `OperationTimeoutError`, `ERR__TRANSPORT` when no broker can be reached, ...).
   */
  error?: AIOKafkaError;
}

/** Payload of `aio-rdkafka:producer:close` and `aio-rdkafka:consumer:close`. */
export interface CloseTrace {
  /** The time limit close runs with, in ms. */
  readonly timeoutMs: number;
  result?: void;
  /** Set before `error`: the typed error close failed with. */
  error?: AIOKafkaError;
}

/** The TracingChannel of one operation, with the check that makes tracing free when unused. */
export class OperationChannel<C extends TraceOutcome<unknown>> {
  /** `aio-rdkafka:<client>:<operation>`: what `diagnostics_channel.tracingChannel()` takes. */
  readonly name: string;
  readonly #channel: TracingChannel<object, C>;
  /**
   * Contexts between `start` and `end`, with the outcome when the operation settled inside the
   * call (a refusal): published after `end`, so that subscribers always see TracingChannel's order.
   */
  readonly #inCall = new WeakMap<C, { error: unknown; result: unknown } | null>();

  constructor(client: string, operation: string) {
    this.name = `${CHANNEL_PREFIX}:${client}:${operation}`;
    this.#channel = tracingChannel<object, C>(this.name);
  }

  /**
   * Whether anybody listens to any of the sub-channels. Checked per sub-channel: the
   * TracingChannel's own `hasSubscribers` is missing before Node 20.13.
   */
  get active(): boolean {
    const c = this.#channel;
    return c.start.hasSubscribers || c.end.hasSubscribers || c.asyncStart.hasSubscribers || c.asyncEnd.hasSubscribers || c.error.hasSubscribers;
  }

  /** The call begins. */
  start(context: C): void {
    this.#inCall.set(context, null);
    this.#channel.start.publish(context);
  }

  /** The call returned (the operation may still be under way, or have settled inside it). */
  end(context: C): void {
    const settled = this.#inCall.get(context);
    this.#inCall.delete(context);
    this.#channel.end.publish(context);
    if (settled) this.#publishSettled(context, settled.error, settled.result);
  }

  /**
   * The operation settled: `error` (when `error` is not undefined), then `asyncStart` and
   * `asyncEnd`; settled between `start` and `end` (inside the call), it is published right after
   * `end`. A subscriber that throws is reported by Node (`uncaughtException` on the next tick),
   * never to the caller.
   */
  settle(context: C, error: C['error'] | null | undefined, result?: C extends TraceOutcome<infer R> ? R : never): void {
    if (this.#inCall.get(context) === null) this.#inCall.set(context, { error, result });
    else this.#publishSettled(context, error, result);
  }

  #publishSettled(context: C, error: unknown, result: unknown): void {
    const c = this.#channel;
    if (error !== undefined && error !== null) {
      context.error = error;
      c.error.publish(context);
    } else if (result !== undefined) {
      context.result = result;
    }
    c.asyncStart.publish(context);
    c.asyncEnd.publish(context);
  }

  /**
   * Runs `run` traced when somebody listens (the context is built only then): `start`, `end`
   * when `run` returned its Promise, then `error` / `asyncStart` / `asyncEnd` when it settled.
   * The result is a new Promise that settles as `run`'s does.
   */
  trace<R>(context: () => C, run: () => Promise<R>): Promise<R> {
    if (!this.active) return run();
    const ctx = context();
    this.start(ctx);
    let promise: Promise<R>;
    try {
      promise = run();
    } catch (err) {
      this.end(ctx);
      this.settle(ctx, err as C['error']);
      throw err;
    }
    this.end(ctx);
    return promise.then(
      (result) => {
        this.settle(ctx, undefined, result as never);
        return result;
      },
      (err: unknown) => {
        // A traced operation rejects only with its payload's error type (typed errors, checked
        // by the tracing tests): that is what its payload promises subscribers.
        this.settle(ctx, err as C['error']);
        throw err;
      },
    );
  }
}

/** The connect channel's payload, read defensively: the config is checked inside the traced call. */
export function connectTrace(config: unknown, groupId: unknown): ConnectTrace {
  const servers = (config as Record<string, unknown> | null | undefined)?.['bootstrap.servers'];
  return {
    bootstrapServers: typeof servers === 'string' ? servers : undefined,
    groupId: typeof groupId === 'string' ? groupId : undefined,
  };
}
