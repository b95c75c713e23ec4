import type { TopicInfo } from '../records.js';

/** A `log_topics` row as both adapters hand it over (the creation time as a number of ms). */
export interface TopicRow {
  name: string;
  partitions: number;
  created_at: number;
}

export function toTopic(row: TopicRow): TopicInfo {
  return { name: row.name, partitions: row.partitions, createdAt: row.created_at };
}
