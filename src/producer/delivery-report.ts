import type { NativeDeliveryReport } from '../native/producer';

/** The broker's acknowledgement of one message. */
export interface DeliveryReport {
  /** Topic the message was written to. */
  topic: string;
  /** Partition the message was written to. */
  partition: number;
  /**
   * Offset of the message in its partition. Absent when librdkafka does not know it (it reports
   * -1001, "invalid", for example with `acks: 0`, where the broker sends no answer).
   */
  offset?: number;
  /** Message timestamp (ms since the epoch) as librdkafka reports it, when it reports one. */
  timestamp?: number;
  /** The message key, when it had one. */
  key?: Buffer;
  /** Size of the value in bytes. */
  size: number;
}

/** Copies the fields we promise out of node-rdkafka's report (which also carries our opaque id). */
export function toDeliveryReport(native: NativeDeliveryReport): DeliveryReport {
  const report: DeliveryReport = {
    topic: native.topic,
    partition: native.partition,
    size: native.size,
  };
  // librdkafka's negative offsets are markers (-1001 invalid, -1 end, ...), never a position.
  if (typeof native.offset === 'number' && native.offset >= 0) report.offset = native.offset;
  if (typeof native.timestamp === 'number' && native.timestamp >= 0) report.timestamp = native.timestamp;
  if (native.key != null) report.key = native.key;
  return report;
}
