import type { Partition, StartPosition } from '../../types.js';
import type { PeekReader, PeekRecord } from '../peek/peek-reader.js';
import type { MoveTarget } from './move-target.js';
import { type Located, PAST_THE_LAST, type PartitionSpot, type PositionLocator } from './position-locator.js';

const BATCH = 500;
const UNKNOWN_LATEST = 'the source does not say its latest position: left where it is';

/** No move: the checkpoint stays. */
const located = (before: string | undefined): Located => ({
  ...(before === undefined ? {} : { after: before }),
  events: 0,
});

/**
 * Locates moves where positions are consecutive numbers (local log offsets, stream queue offsets, file
 * lines): every count is exact, the difference of two positions. A time is found by opening a reader
 * at that time and reading past the records stored before it (a stream queue starts at the chunk that
 * holds the time, so a few may come before it). Each read opens a reader of its own: a stream queue's
 * consumer may still deliver for a start it was moved away from.
 */
export class NumberedLocator implements PositionLocator {
  constructor(private readonly openReader: () => Promise<PeekReader>) {}

  async locate(spot: PartitionSpot, target: MoveTarget, signal?: AbortSignal): Promise<Located> {
    const first = await this.firstPosition(spot.partition, spot.latest, signal);
    // Unknown when the source does not say (a stream queue's probe): then nothing caps a move forward.
    const latest = spot.latest === undefined ? Number.POSITIVE_INFINITY : Number(spot.latest);
    const from = spot.before === undefined ? first - 1 : Number(spot.before);
    const at = (n: number, note?: string): Located => {
      const to = Math.min(Math.max(n, first - 1), Math.max(latest, first - 1));
      return {
        ...(to < first ? {} : { after: String(to) }),
        events: Math.abs(to - from),
        ...(note === undefined ? {} : { note }),
      };
    };
    switch (target.kind) {
      case 'earliest':
        return at(first - 1);
      case 'latest':
        return Number.isFinite(latest) ? at(latest) : { ...located(spot.before), note: UNKNOWN_LATEST };
      case 'position':
        return { after: target.position, events: Math.abs(Number(target.position) - from) };
      case 'shift':
        return at(from + target.by);
      case 'time': {
        const next = await this.firstAtOrAfter(spot.partition, target.ms, signal);
        if (next !== undefined) return at(Number(next.position) - 1);
        return Number.isFinite(latest)
          ? at(latest, PAST_THE_LAST)
          : { ...located(spot.before), note: UNKNOWN_LATEST };
      }
    }
  }

  compare(a: string, b: string): number {
    return Number(a) - Number(b);
  }

  async close(): Promise<void> {}

  /** The first record's position, or the one after `latest` for an empty partition (0 for none at all). */
  private async firstPosition(partition: Partition, latest: string | undefined, signal?: AbortSignal) {
    const [record] = await this.read(partition, { kind: 'earliest' }, () => true, signal, 1);
    if (record !== undefined) return Number(record.position);
    return latest === undefined ? 0 : Number(latest) + 1;
  }

  private async firstAtOrAfter(partition: Partition, ms: number, signal?: AbortSignal) {
    const [record] = await this.read(
      partition,
      { kind: 'timestamp', ms },
      (r) => r.timestamp >= ms,
      signal,
      1,
    );
    return record;
  }

  /** Up to `want` records from `start` that `keep` accepts, reading on to the head. */
  private async read(
    partition: Partition,
    start: StartPosition,
    keep: (record: PeekRecord) => boolean,
    signal: AbortSignal | undefined,
    want: number,
  ): Promise<PeekRecord[]> {
    const reader = await this.openReader();
    try {
      // Listing connects a reader that has a connection of its own (a stream queue).
      await reader.partitions(signal);
      const cursor = await reader.open(partition, start, signal);
      const kept: PeekRecord[] = [];
      const size = start.kind === 'timestamp' ? BATCH : want;
      for (;;) {
        const batch = await cursor.read(size, signal);
        kept.push(...batch.records.filter(keep));
        if (kept.length >= want || batch.records.length === 0 || batch.ended) return kept.slice(0, want);
      }
    } finally {
      await reader.close();
    }
  }
}
