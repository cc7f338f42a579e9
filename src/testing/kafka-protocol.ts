/*
 * Names the fault-injection calls accept: Kafka protocol request types (API keys, from
 * librdkafka's rdkafka_protocol.h) and error-name aliases.
 */
import { InvalidArgumentError } from '../core/errors';
import { describe } from '../core/validation';

/** Kafka protocol request types by name, with their API key. */
export const MOCK_API_KEYS = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  SaslHandshake: 17,
  ApiVersion: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  SaslAuthenticate: 36,
  CreatePartitions: 37,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
  ConsumerGroupHeartbeat: 68,
  ConsumerGroupDescribe: 69,
  GetTelemetrySubscriptions: 71,
  PushTelemetry: 72,
} as const;

/** A Kafka request type by name (`'Produce'`, `'JoinGroup'`, ...). */
export type MockApi = keyof typeof MOCK_API_KEYS;

/** Highest API key librdkafka knows (RD_KAFKAP__NUM - 1). */
const MAX_API_KEY = 73;

/** Older or newer names of a code, which librdkafka's err2name reports under another name. */
const ALIASES: Record<string, string> = {
  NOT_LEADER_OR_FOLLOWER: 'NOT_LEADER_FOR_PARTITION',
  NOT_COORDINATOR_FOR_GROUP: 'NOT_COORDINATOR',
  GROUP_COORDINATOR_NOT_AVAILABLE: 'COORDINATOR_NOT_AVAILABLE',
  GROUP_LOAD_IN_PROGRESS: 'COORDINATOR_LOAD_IN_PROGRESS',
  NONE: 'NO_ERROR',
};

/** The API key of `api`: a name of {@link MOCK_API_KEYS}, or a key number. */
export function apiKey(api: unknown): number {
  if (typeof api === 'string' && Object.prototype.hasOwnProperty.call(MOCK_API_KEYS, api)) {
    return MOCK_API_KEYS[api as MockApi];
  }
  if (typeof api === 'number' && Number.isInteger(api) && api >= 0 && api <= MAX_API_KEY) return api;
  throw new InvalidArgumentError(
    `api must be a Kafka request name (${Object.keys(MOCK_API_KEYS).slice(0, 6).join(', ')}, ...) or an API key from 0 to ${MAX_API_KEY}, got ${describe(api)}`,
  );
}

/**
 * The numeric code of `code`: a Kafka error name with or without `ERR_` (`'NOT_LEADER_FOR_PARTITION'`,
 * `'ERR_NOT_LEADER_FOR_PARTITION'`, librdkafka's local `'ERR__TRANSPORT'`), or a code number;
 * `known` maps librdkafka's names (without `ERR_`) to codes.
 */
export function errorCode(code: unknown, known: Readonly<Record<string, number>>, what = 'error code'): number {
  if (typeof code === 'number') {
    if (Number.isInteger(code) && Object.values(known).includes(code)) return code;
    throw new InvalidArgumentError(`${what} ${code} is not an error code librdkafka knows`);
  }
  if (typeof code === 'string') {
    const bare = code.startsWith('ERR_') ? code.slice(4) : code;
    const name = ALIASES[bare] ?? bare;
    if (Object.prototype.hasOwnProperty.call(known, name)) return known[name]!;
    throw new InvalidArgumentError(`${what} "${code}" is not a Kafka error name (such as NOT_LEADER_FOR_PARTITION)`);
  }
  throw new InvalidArgumentError(`${what} must be a Kafka error name or number, got ${describe(code)}`);
}
