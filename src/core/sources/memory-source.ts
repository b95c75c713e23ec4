import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { partitionForKey } from '../store/partition-for-key.js';
import type { AttributeValue, Bytes, Message, Partition, Position, StartPosition } from '../types.js';
import type { Coordination, Fetch, PartitionInfo, PartitionStatus, Source } from './source.js';

export interface MemorySourceOptions {
  /** Number of partitions, named `0`…`n-1` (default 1). */
  readonly partitions?: number;
  /** `broker` (default: every agent reads every partition) or `leases` (agents split partitions). */
  readonly coordination?: Coordination;
  readonly id?: string;
  readonly idleMs?: number;
  readonly clock?: Clock;
}

interface Stored {
  readonly value: Bytes;
  readonly timestamp: number;
  readonly key: string | undefined;
}

const encoder = new TextEncoder();

/**
 * An in-memory, partitioned, replayable log: the broker tests and examples use instead of mocks. Positions
 * are offsets; checkpoints are kept by the processor in the state store, as for the local log.
 */
export class MemorySource implements Source {
  readonly id: string;
  readonly uri: string;
  readonly coordination: Coordination;
  readonly checkpointing = 'store' as const;
  private readonly logs: Stored[][];
  private readonly cursors = new Map<Partition, number>();
  private readonly paused = new Set<Partition>();
  private readonly clock: Clock;
  private closed = false;
  /** Appends without partition or key so far: the next round-robin turn. */
  private turn = 0;

  constructor(private readonly options: MemorySourceOptions = {}) {
    this.logs = Array.from({ length: options.partitions ?? 1 }, () => []);
    this.id = options.id ?? 'memory:events';
    this.uri = this.id;
    this.coordination = options.coordination ?? 'broker';
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Appends values (strings are UTF-8 encoded) to a partition: the given one, else the key's (as in the
   * local log), else round-robin over all partitions.
   */
  append(values: readonly (string | Bytes)[], options: { partition?: number; key?: string } = {}): void {
    const count = this.logs.length;
    const fixed =
      options.partition ?? (options.key === undefined ? undefined : partitionForKey(options.key, count));
    for (const value of values) {
      const partition = fixed ?? this.turn++ % count;
      this.logs[partition]!.push({
        value: typeof value === 'string' ? encoder.encode(value) : value,
        timestamp: this.clock.now(),
        key: options.key,
      });
    }
  }

  /** Records in a partition. */
  size(partition = 0): number {
    return this.logs[partition]?.length ?? 0;
  }

  async connect(): Promise<void> {
    this.closed = false;
  }

  async partitions(): Promise<PartitionInfo[]> {
    return this.logs.map((_, i) => ({ id: String(i) }));
  }

  async assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    for (const [partition, start] of starts) {
      const log = this.logs[Number(partition)] ?? [];
      let next: number;
      switch (start.kind) {
        case 'earliest':
          next = 0;
          break;
        case 'latest':
          next = log.length;
          break;
        case 'after':
          next = Number(start.position) + 1;
          break;
        case 'at':
          next = Number(start.position);
          break;
        case 'timestamp': {
          const i = log.findIndex((r) => r.timestamp >= start.ms);
          next = i < 0 ? log.length : i;
        }
      }
      this.cursors.set(partition, next);
    }
  }

  async revoke(partitions: readonly Partition[]): Promise<void> {
    for (const partition of partitions) this.cursors.delete(partition);
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    const messages: Message<Bytes>[] = [];
    for (const [partition, next] of this.cursors) {
      if (this.paused.has(partition) || this.closed) continue;
      const log = this.logs[Number(partition)]!;
      let i = next;
      for (; i < log.length && messages.length < max; i++) {
        const r = log[i]!;
        const attributes: Record<string, AttributeValue> = r.key === undefined ? {} : { key: r.key };
        messages.push({
          partition,
          position: String(i),
          payload: r.value,
          raw: r.value,
          timestamp: r.timestamp,
          attributes,
        });
      }
      this.cursors.set(partition, i);
    }
    if (messages.length === 0) {
      await this.clock.sleep(this.options.idleMs ?? 10, signal).catch(() => undefined);
      return { messages, ended: [], caughtUp: true };
    }
    return { messages, ended: [], caughtUp: false };
  }

  async commit(): Promise<void> {}

  pause(partitions: readonly Partition[]): void {
    for (const partition of partitions) this.paused.add(partition);
  }

  resume(partitions: readonly Partition[]): void {
    for (const partition of partitions) this.paused.delete(partition);
  }

  async describe(): Promise<PartitionStatus[]> {
    return this.logs.map((log, i) => {
      const partition = String(i);
      const next = this.cursors.get(partition);
      return {
        partition,
        state: next === undefined ? 'unassigned' : this.paused.has(partition) ? 'paused' : 'reading',
        ...(log.length === 0 ? {} : { latest: String(log.length - 1) }),
        lagRecords: log.length - (next ?? 0),
      };
    });
  }

  compare(a: Position, b: Position): number {
    return Number(a) - Number(b);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
