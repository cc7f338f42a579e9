/*
 * Shared by the consumer fault scenarios: the librdkafka config of a group member that notices a
 * rebalance within a heartbeat (300 ms) and fetches without waiting long.
 */
import type { ConsumerConfig } from '../../../src';

export function memberConfig(bootstrapServers: string, group: string): ConsumerConfig {
  return {
    'bootstrap.servers': bootstrapServers,
    'group.id': group,
    'auto.offset.reset': 'earliest',
    'session.timeout.ms': 6000,
    'heartbeat.interval.ms': 300,
    'fetch.wait.max.ms': 50,
  };
}
