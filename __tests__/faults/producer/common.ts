/*
 * Shared by the producer wire-fault scenarios: a topic with known leaders, a read-back, and the
 * checks and figures every scenario reports.
 */
import type { MockCluster } from '../../../src/testing';
import { randomTopic } from '../../helpers/broker';
import { readTopic, type ReadMessage } from '../../helpers/read-topic';
import type { Ledger, Outcome, Verdict } from '../ledger';

export const PARTITIONS = 6;

/** Creates a topic of PARTITIONS partitions, partition p led by broker (p % brokers) + 1. */
export async function topicWithKnownLeaders(cluster: MockCluster, prefix: string): Promise<string> {
  const topic = randomTopic(prefix);
  await cluster.createTopic(topic, { partitions: PARTITIONS });
  const brokers = cluster.brokerIds.length;
  for (let p = 0; p < PARTITIONS; p++) await cluster.moveLeader(topic, p, (p % brokers) + 1);
  return topic;
}

/** The leader topicWithKnownLeaders gave partition `p`. */
export function leaderOf(cluster: MockCluster, p: number): number {
  return (p % cluster.brokerIds.length) + 1;
}

/**
 * Reads the ledger's topic back: every message reported delivered, and whatever else is there.
 * When the log holds fewer, it returns what is there (the verdict's `missing` then fails the
 * scenario) and prints each missing message with where its report said it was written, and
 * what the log holds at that offset.
 */
export async function readBack(cluster: MockCluster, ledger: Ledger, settleMs = 1000): Promise<ReadMessage[]> {
  const read = await readTopic(cluster.bootstrapServers, ledger.topic, ledger.delivered.length, { settleMs, timeoutMs: 30_000, partial: true });
  if (read.length < ledger.delivered.length) {
    const seqs = new Set(read.map((m) => Number(m.value!.toString())));
    const atOffset = new Map(read.map((m) => [`${m.partition}@${m.offset}`, Number(m.value!.toString())]));
    const missing = ledger.delivered
      .filter((o) => !seqs.has(o.seq))
      .map((o) => ({ seq: o.seq, key: o.key, reported: `${o.report!.partition}@${o.report!.offset}`, logHolds: atOffset.get(`${o.report!.partition}@${o.report!.offset}`) }));
    console.log(`READ-BACK-MISSING ${JSON.stringify(missing.slice(0, 20))}`);
  }
  return read;
}

/** Messages in the log per partition, for the figures. */
export function perPartition(read: ReadMessage[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const m of read) counts[m.partition] = (counts[m.partition] ?? 0) + 1;
  return counts;
}

/** A verdict with its lists shortened to counts (and the first few numbers), for the report. */
export function figures(verdict: Verdict): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(verdict)) out[k] = Array.isArray(v) ? v.length : v;
  return out;
}

/** Failures grouped by what the caller was told: `code retriable fatal possiblyDelivered`. */
export function failureKinds(outcomes: Iterable<Outcome>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    if (o.error === undefined) continue;
    const e = o.error as Outcome['error'] & { possiblyDelivered?: boolean };
    const kind = `${e!.constructor.name} ${e!.code} retriable=${e!.retriable} fatal=${e!.fatal} possiblyDelivered=${String(e.possiblyDelivered)}`;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Whether the seq's value is in the read-back. */
export function inLog(read: ReadMessage[]): Set<number> {
  return new Set(read.map((m) => Number(m.value!.toString())));
}
