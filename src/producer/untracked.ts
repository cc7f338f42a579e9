import { DeliveryDeadlines } from './delivery-deadlines';

/** Records kept for topics with nothing unreported before the idle ones are dropped. */
const MAX_IDLE_TOPICS = 64;

/** The fire-and-forget messages sent to one topic without an opaque, as counts. */
interface TopicCounts {
  readonly topic: string;
  /** Messages sent; they are numbered 1, 2, ... in send order. */
  sent: number;
  /** Messages reported, failed by the deadline, or given up on: `sent - done` are unreported. */
  done: number;
  /** Failed by the deadline and not reported since: this topic's next reports beyond `sent` are late. */
  lateOwed: number;
  /** Messages numbered below this one had passed their deadline at the last check. */
  expireBelow: number;
  readonly deadlines: DeliveryDeadlines | undefined;
}

/** Some of a topic's messages, by count. */
export interface TopicCount {
  readonly topic: string;
  readonly count: number;
}

/** What a report with no opaque was: one of ours, one the deadline had failed (late), or neither. */
export type UntrackedReport = 'counted' | 'late' | undefined;

/**
 * The fire-and-forget messages sent with no opaque (nobody to tell but the `deliveryError` event):
 * no Delivery, no registry slot, no handle in the binding, only counts per topic.
 *
 * A report with no opaque is counted against its topic. The deadline works on counts too: each
 * topic keeps checkpoints "n messages sent by time T" ({@link DeliveryDeadlines}, with the
 * message's number as its id); once a checkpoint is `deliveryTimeoutMs` old, the messages sent
 * before it that the topic's reports cannot account for (`n - done`) have passed their deadline.
 * Never early: a report of a later message only makes that number smaller. Late when the topic
 * keeps delivering newer messages while an older one is stuck: its reports then account for it,
 * so it is failed once they stop, or by librdkafka's own `message.timeout.ms`.
 *
 * Most producers send to one topic or a few, so the topic of the last send and of the last report
 * are kept at hand: a message costs two counter increments and a string comparison.
 */
export class UntrackedMessages {
  readonly #byTopic = new Map<string, TopicCounts>();
  readonly #timeoutMs: number;
  #lastSent: TopicCounts | undefined;
  #lastReported: TopicCounts | undefined;
  #unreported = 0;

  /** `timeoutMs`: deliveryTimeoutMs; Infinity keeps no deadline. */
  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Messages sent and not yet reported, failed or given up on. */
  get size(): number {
    return this.#unreported;
  }

  /** librdkafka took a message for `topic`. */
  sent(topic: string): void {
    let counts = this.#lastSent;
    if (counts === undefined || counts.topic !== topic) counts = this.#lastSent = this.#countsOf(topic);
    counts.sent++;
    this.#unreported++;
  }

  /** A report with no opaque, for `topic`: see {@link UntrackedReport}. */
  reported(topic: string): UntrackedReport {
    let counts = this.#lastReported;
    if (counts === undefined || counts.topic !== topic) {
      counts = this.#byTopic.get(topic);
      if (counts === undefined) return undefined;
      this.#lastReported = counts;
    }
    // Late first: a report cannot say which message it is, and counting a late one's report as a
    // newer message's would make the newer one look reported (flush and close would stop
    // waiting for it). This way the count of unreported messages is never below the truth: at
    // worst a newer message's report is taken for the late one's, and the newer message is
    // failed by its own deadline (possibly delivered, as every deadline failure says).
    if (counts.lateOwed > 0) {
      counts.lateOwed--;
      return 'late';
    }
    if (counts.sent > counts.done) {
      counts.done++;
      this.#unreported--;
      return 'counted';
    }
    return undefined;
  }

  /**
   * Whether `topic` still owes reports of messages the deadline failed: while it does, its new
   * fire-and-forget messages are sent tracked (with an opaque), so that no new message's report
   * can be taken for a late one's.
   */
  owesLate(topic: string): boolean {
    const counts = this.#lastSent !== undefined && this.#lastSent.topic === topic ? this.#lastSent : this.#byTopic.get(topic);
    return counts !== undefined && counts.lateOwed > 0;
  }

  /**
   * Notes, after a poll, which messages have passed their deadline: {@link takeExpired} fails them
   * at a later tick, once the reports the poll served have had time to arrive. Returns whether
   * some topic has messages noted so.
   */
  checkDeadlines(now: number): boolean {
    if (this.#byTopic.size === 0) return false;
    let expiring = false;
    for (const counts of this.#byTopic.values()) {
      if (counts.deadlines !== undefined) counts.expireBelow = Math.max(counts.expireBelow, counts.deadlines.expiredBelow(counts.sent + 1, now));
      if (counts.expireBelow > 0) expiring = true;
    }
    if (this.#byTopic.size > MAX_IDLE_TOPICS) this.#dropIdle();
    return expiring;
  }

  /** Takes out the messages found past their deadline at the last checks; their reports, if any come, are late. */
  takeExpired(): TopicCount[] | undefined {
    let expired: TopicCount[] | undefined;
    for (const counts of this.#byTopic.values()) {
      if (counts.expireBelow === 0) continue;
      const overdue = counts.expireBelow - 1 - counts.done;
      counts.expireBelow = 0;
      if (overdue <= 0) continue;
      counts.done += overdue;
      counts.lateOwed += overdue;
      this.#unreported -= overdue;
      (expired ??= []).push({ topic: counts.topic, count: overdue });
    }
    return expired;
  }

  /** Takes out every unreported message (close gave up, or a fatal error); no later report is expected. */
  takeAll(): TopicCount[] {
    const all: TopicCount[] = [];
    for (const counts of this.#byTopic.values()) {
      const unreported = counts.sent - counts.done;
      if (unreported > 0) all.push({ topic: counts.topic, count: unreported });
    }
    this.#byTopic.clear();
    this.#lastSent = this.#lastReported = undefined;
    this.#unreported = 0;
    return all;
  }

  #countsOf(topic: string): TopicCounts {
    let counts = this.#byTopic.get(topic);
    if (counts === undefined) {
      // Without deadlines checkDeadlines never runs: the idle topics are forgotten here too.
      if (this.#byTopic.size >= MAX_IDLE_TOPICS) this.#dropIdle();
      const deadlines = this.#timeoutMs === Infinity ? undefined : new DeliveryDeadlines(this.#timeoutMs);
      counts = { topic, sent: 0, done: 0, lateOwed: 0, expireBelow: 0, deadlines };
      this.#byTopic.set(topic, counts);
    }
    return counts;
  }

  /** A producer that wrote to many topics: forgets those with nothing unreported and nothing late to expect. */
  #dropIdle(): void {
    for (const [topic, counts] of this.#byTopic) {
      if (counts.sent === counts.done && counts.lateOwed === 0) this.#byTopic.delete(topic);
    }
    this.#lastSent = this.#lastReported = undefined;
  }
}
