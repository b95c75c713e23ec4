import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { type Bytes, END_OF_PARTITION, type Message, type Partition, type Position } from '../../types.js';
import type { BufferedShardReader } from './buffered-shard-reader.js';
import { errorName } from './kinesis-errors.js';

/**
 * The readers of the shards assigned to a Kinesis source, one per shard, and what the source's `poll`
 * asks of them together: buffered messages taken round-robin (a fair share each, then what is left to
 * those with more), the ends handed over, whether every shard is caught up, whether a call is in flight,
 * and the first failure a reader stopped on.
 */
export class ShardReaders<R extends BufferedShardReader = BufferedShardReader> {
  private readonly readers = new Map<Partition, R>();
  /** Where the next round-robin starts. */
  private next = 0;

  get(shard: Partition): R | undefined {
    return this.readers.get(shard);
  }

  shards(): Partition[] {
    return [...this.readers.keys()];
  }

  /** Makes `reader` its shard's reader, stopping the one it replaces. */
  async put(reader: R): Promise<void> {
    await this.readers.get(reader.shard)?.stop();
    this.readers.set(reader.shard, reader);
  }

  /** Stops and forgets the readers of `shards`. */
  async remove(shards: readonly Partition[]): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const shard of shards) {
      const reader = this.readers.get(shard);
      this.readers.delete(shard);
      if (reader !== undefined) stopping.push(reader.stop());
    }
    await Promise.all(stopping);
  }

  pause(shards: readonly Partition[]): void {
    for (const shard of shards) this.readers.get(shard)?.pause();
  }

  resume(shards: readonly Partition[]): void {
    for (const shard of shards) this.readers.get(shard)?.resume();
  }

  /**
   * Moves at most `max` buffered messages into `messages`, round-robin across shards, then the shards
   * whose end was reached and every record before it taken into `ended`.
   */
  take(max: number, messages: Message<Bytes>[], ended: Partition[]): void {
    const readers = [...this.readers.values()];
    const n = readers.length;
    if (n === 0) return;
    const share = Math.max(1, Math.ceil(max / n));
    this.next = (this.next + 1) % n;
    for (let k = 0; k < n && messages.length < max; k++) {
      readers[(this.next + k) % n]!.take(Math.min(share, max - messages.length), messages);
    }
    // What a shard with little buffered left of its share goes to those with more.
    for (let k = 0; k < n && messages.length < max; k++) {
      readers[(this.next + k) % n]!.take(max - messages.length, messages);
    }
    for (const reader of readers) if (reader.takeEnd()) ended.push(reader.shard);
  }

  /**
   * Every unpaused reader found nothing new — and a closed shard is not caught up until its end was
   * handed over and its `END` committed: until then its children cannot be assigned, and a consumer
   * running until empty must not stop with them unread. (A closed shard may answer with no records and
   * another iterator before it answers with its end, e.g. right after a split or on a restart from a
   * checkpoint at its last record.)
   */
  caughtUp(committed: ReadonlyMap<Partition, Position>, closedShards: ReadonlySet<Partition>): boolean {
    for (const r of this.readers.values()) {
      if (r.isPaused) continue;
      if (!r.atHead) return false;
      if (r.ended ? committed.get(r.shard) !== END_OF_PARTITION : closedShards.has(r.shard)) return false;
    }
    return true;
  }

  /** A reader has a call to Kinesis under way. */
  anyInFlight(): boolean {
    for (const reader of this.readers.values()) if (reader.fetching) return true;
    return false;
  }

  /** @throws SourceUnavailableError for the first reader that stopped on a failure retrying cannot fix. */
  throwFailure(stream: string): void {
    for (const reader of this.readers.values()) {
      const failure = reader.failure;
      if (failure === undefined) continue;
      throw new SourceUnavailableError(
        `reading shard ${reader.shard} of Kinesis stream "${stream}" failed: ${errorName(failure)}: ${describeError(failure)}`,
        { cause: failure, hint: 'check that the stream still exists and that the credentials may read it' },
      );
    }
  }
}
