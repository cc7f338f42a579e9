/** A topic partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A topic partition and an offset: for commits, "the next offset to read". */
export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** `topic` + partition as one Map key. Topic names cannot contain `\0`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}
