import type { Clock } from '../../src/core/clock.js';
import { SourceUnavailableError } from '../../src/core/errors/source-unavailable-error.js';
import type { Fetch, PartitionInfo, PartitionStatus, Source } from '../../src/core/sources/source.js';
import type { Bytes, Message, Partition, Position, StartPosition } from '../../src/core/types.js';
import type { Random } from './random.js';
import type { Window } from './scenario.js';

export interface SourceFaults {
  /** Interleave one poll's messages across partitions in a seeded order. */
  readonly reorder: boolean;
  readonly pollDelay: { readonly chance: number; readonly maxMs: number };
  /** While one lasts (simulated ms from `origin`), every poll fails as the source being unreachable. */
  readonly outages: readonly Window[];
  readonly origin: number;
}

/**
 * A decorator that makes a well-behaved source misbehave as real ones do, within the Source contract:
 * polls that fail for a while (`SourceUnavailableError`, retriable), polls that take longer, and
 * deliveries whose order across partitions changes from poll to poll (each partition stays in order).
 */
export class FaultySource implements Source {
  constructor(
    private readonly inner: Source,
    private readonly faults: SourceFaults,
    private readonly random: Random,
    private readonly clock: Clock,
  ) {}

  get id(): string {
    return this.inner.id;
  }
  get uri(): string {
    return this.inner.uri;
  }
  get coordination() {
    return this.inner.coordination;
  }
  get checkpointing() {
    return this.inner.checkpointing;
  }

  connect(signal?: AbortSignal): ReturnType<Source['connect']> {
    return this.inner.connect(signal);
  }

  partitions(signal?: AbortSignal): Promise<PartitionInfo[]> {
    return this.inner.partitions(signal);
  }

  assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    return this.inner.assign(starts);
  }

  revoke(partitions: readonly Partition[]): Promise<void> {
    return this.inner.revoke(partitions);
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    const t = this.clock.now() - this.faults.origin;
    if (this.faults.outages.some((w) => t >= w.at && t < w.at + w.forMs)) {
      throw new SourceUnavailableError('simulated source outage');
    }
    const delay = this.faults.pollDelay;
    if (delay.chance > 0 && this.random.chance(delay.chance)) {
      await this.clock.sleep(this.random.int(1, delay.maxMs), signal).catch(() => undefined);
    }
    const fetched = await this.inner.poll(max, signal);
    if (!this.faults.reorder || fetched.messages.length < 2) return fetched;
    return { ...fetched, messages: this.interleave(fetched.messages) };
  }

  commit(positions: ReadonlyMap<Partition, Position>): Promise<void> {
    return this.inner.commit(positions);
  }

  pause(partitions: readonly Partition[]): void {
    this.inner.pause(partitions);
  }

  resume(partitions: readonly Partition[]): void {
    this.inner.resume(partitions);
  }

  describe(signal?: AbortSignal): Promise<PartitionStatus[]> {
    return this.inner.describe(signal);
  }

  compare(a: Position, b: Position): number {
    return this.inner.compare(a, b);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** A seeded merge of the per-partition sequences. */
  private interleave(messages: readonly Message<Bytes>[]): Message<Bytes>[] {
    const queues = new Map<Partition, Message<Bytes>[]>();
    for (const m of messages) {
      const q = queues.get(m.partition) ?? [];
      queues.set(m.partition, q);
      q.push(m);
    }
    if (queues.size < 2) return [...messages];
    const lanes = [...queues.values()];
    const out: Message<Bytes>[] = [];
    while (lanes.length > 0) {
      const i = this.random.int(0, lanes.length - 1);
      const lane = lanes[i]!;
      out.push(lane.shift()!);
      if (lane.length === 0) lanes.splice(i, 1);
    }
    return out;
  }
}
