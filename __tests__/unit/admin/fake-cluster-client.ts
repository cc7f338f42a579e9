import type { NativeMetadata, NativeOffsetsClient, NativePartitionOffset } from '../../../src/native/admin';
import type { NativeLogEvent } from '../../../src/native/producer';

/*
 * A fake of the short-lived clients AIOAdmin opens (node-rdkafka's Producer for metadata, its
 * KafkaConsumer for offsets): connects at once, logging the ApiVersions answer the test gives it
 * the way librdkafka does with `debug=feature`.
 */

export interface FakeClusterOptions {
  /** The requests the broker lists in its ApiVersions answer; null: none logged. */
  apis?: readonly string[] | null;
  /** Extra log lines emitted while connecting. */
  logs?: readonly NativeLogEvent[];
  /** connect answers with this error instead. */
  connectError?: Error;
  /** connect (and its ApiVersions log) answers after this many ms (fake timers). @default at once */
  connectDelayMs?: number;
  metadata?: NativeMetadata;
  /** committed / offsetsForTimes answer with these (by topic and partition). */
  answer?: (toppar: { topic: string; partition: number; offset?: number }) => number | undefined;
}

export const ALL_TOPIC_APIS = ['Metadata', 'ListOffsets', 'OffsetFetch', 'FindCoordinator', 'CreateTopics', 'DeleteTopics', 'CreatePartitions'];

export interface FakeCluster {
  readonly clients: FakeClusterClient[];
  create(config: Record<string, unknown>): FakeClusterClient;
}

export interface FakeClusterClient extends NativeOffsetsClient {
  readonly config: Record<string, unknown>;
  readonly requests: Array<{ call: string; toppars: unknown }>;
  disconnected: boolean;
}

/** librdkafka's own lines, as `debug=feature` makes it log them. */
export function apiVersionLines(broker: string, apis: readonly string[]): NativeLogEvent[] {
  const line = (message: string): NativeLogEvent => ({ severity: 7, fac: 'APIVERSION', message: `[thrd:${broker}]: ${broker}: ${message}` });
  return [
    line('Broker API support:'),
    ...apis.map((api, i) => line(`  ApiKey ${api} (${i}) Versions 0..4`)),
    line(' Feature MsgVer1: Produce (2..32767) supported by broker'),
  ];
}

export function fakeCluster(options: FakeClusterOptions = {}): FakeCluster {
  const clients: FakeClusterClient[] = [];
  const metadata = options.metadata ?? { topics: [{ name: 't', partitions: [{ id: 1 }, { id: 0 }] }], brokers: [{ id: 1, host: 'h', port: 1 }] };
  const later = (fn: () => void): void => void Promise.resolve().then(fn);
  const create = (config: Record<string, unknown>): FakeClusterClient => {
    const listeners = new Set<(log: NativeLogEvent) => void>();
    const requests: Array<{ call: string; toppars: unknown }> = [];
    const answer = (toppars: Array<{ topic: string; partition: number; offset?: number }>): NativePartitionOffset[] =>
      toppars.map((tp) => {
        const offset = options.answer?.(tp);
        return offset === undefined ? { topic: tp.topic, partition: tp.partition } : { topic: tp.topic, partition: tp.partition, offset };
      });
    const client: FakeClusterClient = {
      config,
      requests,
      disconnected: false,
      connect: (_opts, cb) => {
        const lines = [...(options.logs ?? []), ...(options.apis === null ? [] : apiVersionLines('b:9092/bootstrap', options.apis ?? ALL_TOPIC_APIS))];
        const answer = (): void => {
          for (const line of lines) for (const listener of listeners) listener(line);
          later(() => cb(options.connectError ?? null));
        };
        if (options.connectDelayMs === undefined) answer();
        else setTimeout(answer, options.connectDelayMs);
      },
      getMetadata: (_opts, cb) => later(() => cb(null, metadata)),
      committed: (toppars, _timeoutMs, cb) => {
        requests.push({ call: 'committed', toppars });
        later(() => cb(null, answer(toppars)));
      },
      offsetsForTimes: (toppars, _timeoutMs, cb) => {
        requests.push({ call: 'offsetsForTimes', toppars });
        later(() => cb(null, answer(toppars)));
      },
      disconnect: (cb) => {
        client.disconnected = true;
        later(() => cb(null));
      },
      on: (_event, listener) => listeners.add(listener),
      removeListener: (_event, listener) => listeners.delete(listener),
    };
    clients.push(client);
    return client;
  };
  return { clients, create };
}
