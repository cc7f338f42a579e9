import type { AIOKafkaError } from '../core/errors';
import { durationOption } from '../core/validation';
import type { NativeConsumer } from '../native/consumer';
import type { ConsumeLoop } from './consume-loop';

/** What {@link AIOConsumer.health} reports: for readiness and liveness probes. */
export interface ConsumerHealth {
  /** `connected && fatalError === undefined && consuming` and the consume loop returned recently (see `pollAgeMs`). */
  healthy: boolean;
  /** Why it is not healthy (the first reason found); undefined when healthy. */
  reason: string | undefined;
  /** node-rdkafka's client is connected (connect() succeeded, not disconnected) and close() has not begun. */
  connected: boolean;
  /** The fatal error that ended the consumer, if one came. */
  fatalError: AIOKafkaError | undefined;
  /** A consumption (`run()` or an iteration) is under way and its consume loop polls. */
  consuming: boolean;
  /**
   * Ms since a native `consume()` call last returned (or the loop started); undefined before a
   * consumption started. One call returns within `batchSize × pollTimeoutMs` while the event loop
   * and libuv's pool are free, so a larger age means the loop is stuck (a blocked event loop, a
   * saturated thread pool).
   */
  pollAgeMs: number | undefined;
}

/** Options of {@link AIOConsumer.health}. */
export interface HealthOptions {
  /**
   * The largest `pollAgeMs` still healthy.
   * @default batchSize × pollTimeoutMs + 5000 (15000 with the defaults)
   */
  maxPollAgeMs?: number;
}

/** The facts {@link assessHealth} judges. */
export interface HealthFacts {
  closed: boolean;
  nativeConnected: boolean;
  fatalError: AIOKafkaError | undefined;
  polling: boolean;
  lastReturnAt: number | undefined;
  maxPollAgeMs: number;
}

/** The one rule of health: every condition, in the order the first failing one is reported. */
export function assessHealth(facts: HealthFacts, now = Date.now()): ConsumerHealth {
  const connected = !facts.closed && facts.nativeConnected;
  const pollAgeMs = facts.lastReturnAt === undefined ? undefined : Math.max(0, now - facts.lastReturnAt);
  let reason: string | undefined;
  if (facts.closed) reason = 'closed';
  else if (!facts.nativeConnected) reason = 'not connected';
  else if (facts.fatalError !== undefined) reason = `fatal error: ${facts.fatalError.message}`;
  else if (!facts.polling) reason = 'not consuming: run() or an iteration has not started, or has ended';
  else if (pollAgeMs !== undefined && pollAgeMs > facts.maxPollAgeMs) {
    reason = `the consume loop has not returned for ${pollAgeMs} ms (more than ${facts.maxPollAgeMs})`;
  }
  return {
    healthy: reason === undefined,
    reason,
    connected,
    fatalError: facts.fatalError,
    consuming: facts.polling,
    pollAgeMs,
  };
}

/**
 * The consumer's health now (see {@link AIOConsumer.health}): `maxPollAgeMs` checked (default
 * `batchSize × pollTimeoutMs` + 5 s), node-rdkafka asked whether it is connected.
 */
export function measureHealth(
  native: NativeConsumer,
  loop: ConsumeLoop,
  consumer: { batchSize: number; pollTimeoutMs: number },
  options: HealthOptions,
  state: { closed: boolean; fatalError: AIOKafkaError | undefined },
): ConsumerHealth {
  const maxPollAgeMs = durationOption('health maxPollAgeMs', options?.maxPollAgeMs, consumer.batchSize * consumer.pollTimeoutMs + 5_000);
  let nativeConnected = false;
  try {
    nativeConnected = native.isConnected();
  } catch {
    nativeConnected = false;
  }
  return assessHealth({ ...state, nativeConnected, polling: loop.polling, lastReturnAt: loop.lastReturnAt, maxPollAgeMs });
}
