import { NotFoundError } from '../errors/not-found-error.js';
import { LocalSource } from '../sources/local-source.js';
import { partitionForKey } from '../store/partition-for-key.js';
import type { StateStore } from '../store/state-store.js';
import type { Partition, Position } from '../types.js';
import { byPartition } from './checkpoint-list.js';

/** One partition of the embedded log: its offsets and how many records it holds. */
export interface LogPartitionView {
  readonly partition: Partition;
  /** First and last offset held; absent while the partition is empty. */
  readonly first?: number;
  readonly last?: number;
  /** Records held (offsets are contiguous: pruning removes a prefix). */
  readonly records: number;
}

/** Where one consumer group stands on each partition. */
export interface GroupView {
  readonly group: string;
  readonly partitions: readonly {
    readonly partition: Partition;
    /** Absent when the group has no checkpoint there: it reads the partition from its start. */
    readonly checkpoint?: Position;
    readonly lagRecords: number;
  }[];
  readonly lagRecords: number;
}

export interface LocalLogDescription {
  readonly kind: 'local';
  readonly topic: string;
  readonly createdAt: number;
  readonly partitions: readonly LogPartitionView[];
  readonly records: number;
  /** Every group with a checkpoint on the topic, and the agent's own group even without one. */
  readonly groups: readonly GroupView[];
  /** The partition records with this key are appended to. */
  readonly key?: { readonly key: string; readonly partition: Partition };
}

/**
 * Describes a topic of the embedded log without writing to the store (the topic is not created): its
 * partitions' offsets and record counts, and each group's checkpoints and lag, as `LocalSource.describe`
 * reports them for that group. @throws NotFoundError (naming the topics there are) for a missing topic.
 */
export async function describeLocalLog(
  store: StateStore,
  topic: string,
  options: { readonly group?: string; readonly key?: string } = {},
): Promise<LocalLogDescription> {
  const info = await store.log.topic(topic);
  if (info === undefined) {
    const topics = (await store.log.topics()).map((t) => `local:${t.name}`);
    throw new NotFoundError(`the local log has no topic "${topic}" in ${store.location}`, {
      hint:
        topics.length === 0
          ? 'nothing was published to this store yet (agentctl publish), or pass --db for another store'
          : `topics there: ${topics.join(', ')}`,
    });
  }
  const partitions: LogPartitionView[] = [];
  for (let p = 0; p < info.partitions; p++) {
    const { earliest, latest } = await store.log.bounds(topic, p);
    partitions.push(
      latest < 0 || latest < earliest
        ? { partition: String(p), records: 0 }
        : { partition: String(p), first: earliest, last: latest, records: latest - earliest + 1 },
    );
  }
  const id = `local:${topic}`;
  const stored = await store.checkpoints.list({ source: id });
  const names = new Set(stored.map((c) => c.group));
  if (options.group !== undefined) names.add(options.group);
  const groups: GroupView[] = [];
  for (const group of [...names].sort()) {
    const statuses = await new LocalSource({ store, topic, group }).describe();
    const rows = statuses
      .map((s) => ({
        partition: s.partition,
        ...(s.committed === undefined ? {} : { checkpoint: s.committed }),
        lagRecords: s.lagRecords ?? 0,
      }))
      .sort((a, b) => byPartition(a.partition, b.partition));
    groups.push({ group, partitions: rows, lagRecords: rows.reduce((n, r) => n + r.lagRecords, 0) });
  }
  return {
    kind: 'local',
    topic,
    createdAt: info.createdAt,
    partitions,
    records: partitions.reduce((n, p) => n + p.records, 0),
    groups,
    ...(options.key === undefined
      ? {}
      : { key: { key: options.key, partition: String(partitionForKey(options.key, info.partitions)) } }),
  };
}
