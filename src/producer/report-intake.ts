/*
 * The receiving half of a producer's pipeline (src/producer/pipeline.ts sends): what is in flight,
 * registered (a pending Delivery per message) or counted (fire-and-forget messages sent with no
 * opaque, src/producer/untracked.ts), and how each delivery report, deadline and purge becomes
 * that message's outcome.
 */
import type { EventEmitter } from 'node:events';
import type { ClientEvents } from '../core/client-events';
import { AIOKafkaError, type MessageTarget } from '../core/errors';
import { fromLibrdkafka, isPurge } from '../native/errors';
import { probeFatal } from '../native/fatal';
import type { NativeDeliveryReport, NativeProducer } from '../native/producer';
import { DeliveryDeadlines } from './delivery-deadlines';
import { fatalDeliveryError, type Delivery } from './delivery';
import { toDeliveryReport, type DeliveryReport } from './delivery-report';
import { LateDeliveries, deliveryTimeoutError } from './late-deliveries';
import { PendingRegistry } from './pending';
import { ReportOrder } from './report-order';
import { ReportTurns } from './report-turns';
import { UntrackedMessages, type TopicCount } from './untracked';

/** What the intake needs of its producer (the pipeline's host). */
export interface IntakeProducer {
  /** The producer (its `lateDelivery` event). */
  readonly emitter: EventEmitter;
  readonly events: ClientEvents;
  /** The producer's fatal state: its `error`, once librdkafka is fatal. */
  readonly fatalState: { readonly error: AIOKafkaError | undefined };
  /** A fatal error met in the pipeline: the producer enters its fatal state. */
  enterFatal(err: AIOKafkaError): void;
}

/** What the intake needs of its pipeline. */
export interface IntakePipeline {
  /** Gives a registered message its outcome. */
  settle(delivery: Delivery, err: AIOKafkaError | null, report: DeliveryReport | undefined): void;
  /** A report took a message out (there may be room now, or nothing left in flight). */
  reported(): void;
}

/** Delivery reports, deadlines and purges in; outcomes out. See the file's comment. */
export class ReportIntake {
  /** Messages sent with an opaque (their id), by id. */
  readonly pending = new PendingRegistry<Delivery>();
  /** Fire-and-forget messages sent without an opaque: counted, not registered. */
  readonly untracked: UntrackedMessages;
  /** Messages failed by deliveryTimeoutMs (or an abort) whose report has not come yet. */
  readonly late: LateDeliveries;
  /** Reports held in a transaction's abort, settled in produce order (report-order.ts). */
  readonly order: ReportOrder<Delivery>;
  readonly #native: NativeProducer;
  readonly #host: IntakeProducer;
  readonly #pipeline: IntakePipeline;
  readonly #timeoutMs: number;
  readonly #deadlines: DeliveryDeadlines | undefined;
  /** Ids below this one passed their deadline at a past tick: failed at a later one, if still pending. */
  #expireBelow = 0;
  /** Whether reports may still wait in the binding (its per-turn limit), so that no deadline is judged now. */
  readonly #turns = new ReportTurns();
  /** A purge found librdkafka not fatal since the last tick: no need to ask again before the next. */
  #purgeFoundHealthy = false;

  /** `timeoutMs`: deliveryTimeoutMs (Infinity: no deadline). */
  constructor(native: NativeProducer, host: IntakeProducer, timeoutMs: number, pipeline: IntakePipeline) {
    this.#native = native;
    this.#host = host;
    this.#pipeline = pipeline;
    this.#timeoutMs = timeoutMs;
    this.#deadlines = timeoutMs === Infinity ? undefined : new DeliveryDeadlines(timeoutMs);
    this.untracked = new UntrackedMessages(timeoutMs);
    this.late = new LateDeliveries(host.emitter, host.events);
    this.order = new ReportOrder<Delivery>(this.pending, (delivery, err, report) => this.settleReport(delivery, err, report));
  }

  /** Messages sent and not yet reported, failed or given up on. */
  get size(): number {
    return this.pending.size + this.untracked.size;
  }

  /**
   * The tick, before it polls. The binding hands the reports a poll() serves to JavaScript later
   * (through uv_async), at most DELIVERY_REPORTS_PER_TURN per event-loop turn. A message found
   * past its deadline is therefore failed at a later tick, once the binding has been seen with no
   * report left to hand over (report-turns.ts): every report librdkafka held at the tick that
   * found it has come.
   */
  beforePoll(): void {
    this.#purgeFoundHealthy = false;
    if (!this.#turns.mayHoldReports()) this.#expire();
  }

  /** The tick, after it polled: notes which messages have passed their deadline. */
  afterPoll(): void {
    if (this.#deadlines === undefined) return;
    const now = performance.now();
    this.#expireBelow = Math.max(this.#expireBelow, this.#deadlines.expiredBelow(this.pending.nextId, now));
    const untrackedExpiring = this.untracked.checkDeadlines(now);
    this.#turns.watch(this.#expireBelow > 0 || untrackedExpiring);
  }

  /** Fails what an earlier tick found past `deliveryTimeoutMs`; its report, if it comes, is late. */
  #expire(): void {
    if (this.#expireBelow > 0) {
      for (const [id, delivery] of this.pending.takeBelow(this.#expireBelow)) {
        this.late.remember(id, delivery);
        this.#pipeline.settle(delivery, deliveryTimeoutError(delivery, this.#timeoutMs), undefined);
      }
      this.#expireBelow = 0;
      // A hold waiting for the messages failed now ends.
      this.order.release();
    }
    const overdue = this.untracked.takeExpired();
    if (overdue !== undefined) this.failUntracked(overdue, (target) => deliveryTimeoutError(target, this.#timeoutMs));
  }

  /**
   * Takes every message in flight out at once, for the pipeline's failAll (close gave up, or a
   * fatal error): the registered ones are decided now; returns what settles them all, the reports
   * held since an abort began first (their outcomes are known, and in order), then the rest with
   * `error` (an untracked one with its topic and partition -1).
   */
  takeAll(error: (target: MessageTarget) => AIOKafkaError): () => void {
    const held = this.order.takeAll();
    const pending = this.pending.takeAll();
    for (const delivery of pending) delivery.decided = true;
    const untracked = this.untracked.takeAll();
    return () => {
      for (const r of held) this.settleReport(r.delivery, r.err, r.report);
      for (const delivery of pending) this.#pipeline.settle(delivery, error(delivery), undefined);
      this.failUntracked(untracked, error);
    };
  }

  /**
   * Reports untracked messages that failed, `count` per topic, to the `deliveryError` event: one
   * event per message, as for any other, with one error object per topic (they are the same).
   */
  failUntracked(failed: TopicCount[], error: (target: MessageTarget) => AIOKafkaError): void {
    for (const { topic, count } of failed) {
      const err = error({ topic, partition: -1 });
      for (let i = 0; i < count; i++) this.#host.events.emitOrReport('deliveryError', err, 'delivery failed');
    }
  }

  /** node-rdkafka's `delivery-report` listener. */
  readonly onReport = (err: Error | null, report: NativeDeliveryReport): void => {
    this.#turns.note();
    const id = report?.opaque;
    if (typeof id !== 'number') {
      if (id === undefined && report !== undefined) this.#onUntrackedReport(err, report);
      return;
    }
    const delivery = this.pending.take(id);
    if (delivery === undefined) {
      // Failed already by deliveryTimeoutMs (report it as late), or by close / a fatal error.
      if (this.late.size > 0) this.late.report(id, err, report);
      return;
    }
    if (this.order.holding) this.order.add(id, delivery, err, report);
    else this.settleReport(delivery, err, report);
    this.#pipeline.reported();
  };

  /** Settles a registered message with its report: failed (typed; a fatal one stops the producer) or delivered. */
  settleReport(delivery: Delivery, err: Error | null, report: NativeDeliveryReport): void {
    if (err) {
      const typed = this.#failure(err, { topic: report.topic ?? delivery.topic, partition: report.partition ?? delivery.partition });
      this.#pipeline.settle(delivery, typed, undefined);
      if (typed.fatal) this.#host.enterFatal(typed);
    } else {
      this.#pipeline.settle(delivery, null, toDeliveryReport(report));
    }
  }

  /** A report with no opaque: an untracked message's (a failure goes to `deliveryError`), a late one's, or not ours. */
  #onUntrackedReport(err: Error | null, report: NativeDeliveryReport): void {
    const counted = this.untracked.reported(report.topic);
    if (counted === undefined) return;
    if (counted === 'late') {
      this.late.reportUntracked(err, report);
      return;
    }
    if (err) {
      const typed = this.#failure(err, { topic: report.topic, partition: report.partition });
      this.#host.events.emitOrReport('deliveryError', typed, 'delivery failed');
      if (typed.fatal) this.#host.enterFatal(typed);
    }
    this.#pipeline.reported();
  }

  /** A failed report's error: librdkafka's, or the fatal error behind a purge. */
  #failure(err: Error, target: MessageTarget): AIOKafkaError {
    const typed = fromLibrdkafka(err, { kind: 'delivery', target });
    return isPurge(typed) ? this.#purgedBy(typed, target) : typed;
  }

  /**
   * A purged message's error. librdkafka purges its queue when it goes fatal, and its report may
   * reach JavaScript before the FATAL log line does (two separate hand-overs): the purge then
   * has to say fatal itself, or the caller would take a fenced producer for a healthy one. So a
   * purge while the producer is not known fatal asks librdkafka (an allocation-free probe, once
   * per tick at most: an abort purges a whole transaction's messages at once).
   */
  #purgedBy(purge: AIOKafkaError, target: MessageTarget): AIOKafkaError {
    if (this.#host.fatalState.error !== undefined || this.#purgeFoundHealthy) return purge;
    if (!probeFatal(this.#native)) {
      this.#purgeFoundHealthy = true;
      return purge;
    }
    const fatal = new AIOKafkaError(
      'librdkafka is fatally failed: it purged its queue on its own (its FATAL log line, at the `log` event and the logger, says why)',
      { code: 'ERR__FATAL', fatal: true, cause: purge },
    );
    this.#host.enterFatal(fatal);
    return fatalDeliveryError(this.#host.fatalState.error ?? fatal, target, purge.code === 'ERR__PURGE_INFLIGHT');
  }
}
