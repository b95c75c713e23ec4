import { type Clock, systemClock } from '../../clock.js';
import { END_OF_PARTITION, type Partition, type Position, type StartPosition } from '../../types.js';
import type { PeekCursor, PeekReader, PeekRecord } from '../peek/peek-reader.js';
import type { MoveTarget } from './move-target.js';
import { type Located, PAST_THE_LAST, type PartitionSpot, type PositionLocator } from './position-locator.js';

const BATCH = 1000;
const MINUTE = 60_000;
/** How far back a look-back window reaches, in turn; then the shard's start (TRIM_HORIZON). */
const WINDOWS = [MINUTE, 60 * MINUTE, 24 * 60 * MINUTE, 7 * 24 * 60 * MINUTE];

export interface KinesisLocatorOptions {
  /**
   * How long an `AT_TIMESTAMP` iterator may take before the time is judged past the shard's last record
   * (default 2 s): kinesalite never answers then, where Kinesis answers at once. A call that always
   * answers (`LATEST`) is made after it, so an endpoint that is down is not mistaken for it.
   */
  readonly timestampAnswerMs?: number;
  readonly clock?: Clock;
}

/**
 * Locates moves on a Kinesis shard, where a sequence number says nothing of how many records lie before
 * it. The checkpoint for a time is the last record stored before it: found by opening `AT_TIMESTAMP` a
 * window before the time (a minute, an hour, a day, a week, then the shard's start) and reading up to the
 * time. `--shift-by` reads the records it skips, or looks back the same way for those it reads again, so
 * its count is exact; other moves' counts are unknown (absent).
 */
export class KinesisLocator implements PositionLocator {
  private readonly clock: Clock;

  constructor(
    private readonly reader: PeekReader,
    private readonly options: KinesisLocatorOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async locate(spot: PartitionSpot, target: MoveTarget, signal?: AbortSignal): Promise<Located> {
    const { partition, before } = spot;
    const now = this.clock.now();
    switch (target.kind) {
      case 'earliest':
        return {};
      case 'position':
        return { after: target.position };
      case 'latest': {
        const [last] = (await this.lookBack(partition, now, 1, () => false, signal)).records;
        return last === undefined ? {} : { after: last.position };
      }
      case 'time': {
        const until = Math.min(target.ms, now);
        const found = await this.lookBack(partition, until, 1, (r) => r.timestamp >= target.ms, signal);
        const last = found.records[0];
        const note = target.ms > now || found.complete ? { note: PAST_THE_LAST } : {};
        return last === undefined ? {} : { after: last.position, ...note };
      }
      case 'shift':
        if (target.by >= 0) return this.forward(partition, before, target.by, signal);
        return this.back(partition, before, -target.by, signal);
    }
  }

  compare(a: Position, b: Position): number {
    return this.reader.compare(a, b);
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  /** The `by` records after `before` are skipped: the checkpoint goes to the last of them. */
  private async forward(
    partition: Partition,
    before: Position | undefined,
    by: number,
    signal?: AbortSignal,
  ) {
    if (before === END_OF_PARTITION || by === 0)
      return { ...(before === undefined ? {} : { after: before }), events: 0 };
    const start: StartPosition =
      before === undefined ? { kind: 'earliest' } : { kind: 'after', position: before };
    const cursor = await this.reader.open(partition, start, signal);
    let last: PeekRecord | undefined;
    let skipped = 0;
    for (;;) {
      const batch = await cursor.read(Math.min(BATCH, by - skipped), signal);
      last = batch.records.at(-1) ?? last;
      skipped += batch.records.length;
      if (skipped >= by || batch.records.length === 0 || batch.ended) break;
    }
    const after = last?.position ?? before;
    return { ...(after === undefined ? {} : { after }), events: skipped };
  }

  /** `by` records up to `before` (itself included) are read again: the checkpoint goes to the one before them. */
  private async back(partition: Partition, before: Position | undefined, by: number, signal?: AbortSignal) {
    if (before === undefined) return { events: 0 };
    const ended = before === END_OF_PARTITION;
    const at = ended ? undefined : await this.timeOf(partition, before, signal);
    const isPast = (r: PeekRecord) => !ended && this.reader.compare(r.position, before) > 0;
    const { records: kept } = await this.lookBack(partition, at ?? this.clock.now(), by + 1, isPast, signal);
    if (kept.length > by) return { after: kept[0]!.position, events: by };
    return { events: kept.length };
  }

  /** When the record at `position` was stored. */
  private async timeOf(partition: Partition, position: Position, signal?: AbortSignal) {
    const cursor = await this.reader.open(partition, { kind: 'at', position }, signal);
    return (await cursor.read(1, signal)).records[0]?.timestamp;
  }

  /**
   * The last `count` records stored before `until` (ms) and not past `isPast`, oldest first; `complete`
   * when the read reached the shard's head without passing the bound.
   */
  private async lookBack(
    partition: Partition,
    until: number,
    count: number,
    isPast: (record: PeekRecord) => boolean,
    signal?: AbortSignal,
  ): Promise<{ readonly records: PeekRecord[]; readonly complete: boolean }> {
    for (const window of [...WINDOWS, undefined]) {
      const cursor =
        window === undefined
          ? await this.reader.open(partition, { kind: 'earliest' }, signal)
          : await this.openAt(partition, until - window, signal);
      if (cursor === undefined) continue;
      const kept: PeekRecord[] = [];
      let complete = false;
      for (;;) {
        const batch = await cursor.read(BATCH, signal);
        const upTo = batch.records.findIndex(isPast);
        kept.push(...(upTo < 0 ? batch.records : batch.records.slice(0, upTo)));
        kept.splice(0, Math.max(0, kept.length - count));
        if (upTo >= 0) break;
        if (batch.records.length === 0 || batch.ended) {
          complete = true;
          break;
        }
      }
      if (kept.length >= count || window === undefined) return { records: kept, complete };
    }
    return { records: [], complete: true };
  }

  /** A cursor at `ms`, or undefined when no record was stored at or after it (see `timestampAnswerMs`). */
  private async openAt(
    partition: Partition,
    ms: number,
    signal?: AbortSignal,
  ): Promise<PeekCursor | undefined> {
    const timeout = AbortSignal.timeout(this.options.timestampAnswerMs ?? 2_000);
    try {
      return await this.reader.open(
        partition,
        { kind: 'timestamp', ms },
        signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      );
    } catch (error) {
      if (!timeout.aborted || signal?.aborted) throw error;
      await this.reader.open(partition, { kind: 'latest' }, signal);
      return undefined;
    }
  }
}
