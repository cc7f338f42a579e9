/*
 * A delivery report's outcome: delivered, or failed with a typed error; a fatal one stops the
 * producer, and a purge asks librdkafka whether it is fatal (see `#purgedBy`).
 */
import type { ClientEvents } from '../core/client-events';
import { AIOKafkaError } from '../core/errors';
import { fromLibrdkafka, isPurge } from '../native/errors';
import { probeFatal } from '../native/fatal';
import type { NativeDeliveryReport, NativeProducer } from '../native/producer';
import { fatalDeliveryError, settleDelivery, type Delivery } from './delivery';
import { toDeliveryReport } from './delivery-report';

/** What settling a report needs of its producer (the pipeline's host gives it). */
export interface OutcomeHost {
  readonly events: ClientEvents;
  /** The producer's fatal state: its `error`, once librdkafka is fatal. */
  readonly fatalState: { readonly error: AIOKafkaError | undefined };
  /** A fatal error: the producer enters its fatal state. */
  enterFatal(err: AIOKafkaError): void;
}

/** Settles one producer's deliveries with their reports. */
export class ReportOutcomes {
  readonly #native: NativeProducer;
  readonly #host: OutcomeHost;
  /** A purge found librdkafka not fatal since the last tick: no need to ask again before the next. */
  #purgeFoundHealthy = false;

  constructor(native: NativeProducer, host: OutcomeHost) {
    this.#native = native;
    this.#host = host;
  }

  /** A poll tick: the next purge asks librdkafka again. */
  tick(): void {
    this.#purgeFoundHealthy = false;
  }

  /** Settles a delivery with its report: failed (typed; fatal ones stop the producer) or delivered. */
  settle(delivery: Delivery, err: Error | null, report: NativeDeliveryReport): void {
    if (err) {
      let typed = fromLibrdkafka(err, {
        kind: 'delivery',
        target: { topic: report.topic ?? delivery.topic, partition: report.partition ?? delivery.partition },
      });
      if (isPurge(typed)) typed = this.#purgedBy(typed, delivery);
      settleDelivery(delivery, typed, undefined, this.#host.events);
      if (typed.fatal) this.#host.enterFatal(typed);
    } else {
      settleDelivery(delivery, null, toDeliveryReport(report), this.#host.events);
    }
  }

  /**
   * A purged message's error. librdkafka purges its queue when it goes fatal, and its report may
   * reach JavaScript before the FATAL log line does (two separate hand-overs): the purge then
   * has to say fatal itself, or the caller would take a fenced producer for a healthy one. So a
   * purge while the producer is not known fatal asks librdkafka (an allocation-free probe, once
   * per tick at most: an abort purges a whole transaction's messages at once).
   */
  #purgedBy(purge: AIOKafkaError, delivery: Delivery): AIOKafkaError {
    const fatalState = this.#host.fatalState;
    if (fatalState.error !== undefined || this.#purgeFoundHealthy) return purge;
    if (!probeFatal(this.#native)) {
      this.#purgeFoundHealthy = true;
      return purge;
    }
    const fatal = new AIOKafkaError(
      'librdkafka is fatally failed: it purged its queue on its own (its FATAL log line, at the `log` event and the logger, says why)',
      { code: 'ERR__FATAL', fatal: true, cause: purge },
    );
    this.#host.enterFatal(fatal);
    return fatalDeliveryError(fatalState.error ?? fatal, delivery, purge.code === 'ERR__PURGE_INFLIGHT');
  }
}
