import type { Partition, Position, StartPosition } from '../../types.js';
import type { PeekCursor, PeekPartition, PeekReader, PeekRecord } from './peek-reader.js';

/** How records of several partitions are put in one sequence. */
export type LaneOrder =
  /** By stored time across partitions (ties: partition order), as they happened. */
  | 'time'
  /** One partition after the other, each whole. */
  | 'partition';

/** How a lane begins: its start, or `skip` for a partition with nothing to read (finished). */
export type LaneStart = StartPosition | 'skip';

export interface PeekLanesOptions {
  readonly reader: PeekReader;
  readonly partitions: readonly PeekPartition[];
  /** Read only these, each on its own (their parents are not waited for); all when undefined. */
  readonly only?: readonly Partition[];
  /** Where a partition begins; `initial` is false for a child opened once its parents ended while reading. */
  readonly startOf: (partition: Partition, initial: boolean) => LaneStart;
  readonly order: LaneOrder;
  /** At a partition's head: wait for more (true) or count the partition as finished (false). */
  readonly follow: boolean;
}

interface Lane {
  readonly info: PeekPartition;
  cursor?: PeekCursor;
  buffer: PeekRecord[];
  /** Index of the next record of `buffer`. */
  at: number;
  state: 'waiting' | 'open' | 'finished';
  /** The cursor said the partition has ended for good: finished once `buffer` is used up. */
  ended: boolean;
  /** Nothing new at the last read (its head). */
  idle: boolean;
}

/** Records per read when no smaller limit is asked for. */
const BATCH = 500;

/**
 * The partitions a peek reads, one lane each, merged into one sequence (`LaneOrder`). A partition with
 * parents (a Kinesis child shard) opens only once every listed parent is read to its end, so records of
 * one key come in order across a split or merge. Reads are made only for lanes whose buffer is empty,
 * and ask for no more than `next(want)` needs, so a short peek reads little.
 */
export class PeekLanes {
  private readonly lanes: Lane[];
  private initial = true;

  constructor(private readonly options: PeekLanesOptions) {
    const only = options.only === undefined ? undefined : new Set(options.only);
    this.lanes = options.partitions
      .filter((p) => only === undefined || only.has(p.id))
      .map((info) => ({
        info: only === undefined ? info : { id: info.id },
        buffer: [],
        at: 0,
        state: 'waiting',
        ended: false,
        idle: false,
      }));
  }

  /**
   * The next record, reading at most `want` records per partition; `undefined` when every partition is
   * finished — or, with `follow`, when every open one is at its head for now (call again later).
   */
  async next(want: number, signal?: AbortSignal): Promise<PeekRecord | undefined> {
    for (;;) {
      if (signal?.aborted) return undefined;
      await this.openReady(signal);
      this.initial = false;
      const candidates = this.options.order === 'partition' ? this.firstUnfinished() : this.openLanes();
      let progressed = false;
      for (const lane of candidates) {
        if (lane.at < lane.buffer.length || lane.idle) continue;
        const batch = await lane.cursor!.read(Math.max(1, Math.min(BATCH, want)), signal);
        lane.buffer = [...batch.records];
        lane.at = 0;
        lane.ended = batch.ended;
        lane.idle = batch.records.length === 0 && !batch.ended;
        if (lane.idle && !this.options.follow) lane.state = 'finished';
        if (batch.records.length === 0 && batch.ended) lane.state = 'finished';
        progressed ||= lane.state === 'finished';
      }
      const pick = this.pick(candidates);
      if (pick !== undefined) {
        const record = pick.buffer[pick.at++]!;
        if (pick.at >= pick.buffer.length && pick.ended) pick.state = 'finished';
        return record;
      }
      if (progressed) continue;
      if (this.lanes.every((l) => l.state === 'finished')) return undefined;
      if (!this.lanes.some((l) => l.state === 'open')) return undefined;
      // Every open lane is at its head: with follow, the caller waits and asks again.
      for (const lane of this.lanes) lane.idle = false;
      return undefined;
    }
  }

  /** Whether every partition is finished (nothing more will ever come). */
  get finished(): boolean {
    return this.lanes.every((l) => l.state === 'finished');
  }

  /** Stops reading a partition (its end was passed). */
  finish(partition: Partition): void {
    const lane = this.lanes.find((l) => l.info.id === partition);
    if (lane === undefined) return;
    lane.state = 'finished';
    lane.buffer = [];
    lane.at = 0;
  }

  private openLanes(): Lane[] {
    return this.lanes.filter((l) => l.state === 'open');
  }

  private firstUnfinished(): Lane[] {
    const lane = this.lanes.find((l) => l.state === 'open');
    return lane === undefined ? [] : [lane];
  }

  /** The lane whose buffered record comes next, or undefined when one must be read first (time order). */
  private pick(candidates: readonly Lane[]): Lane | undefined {
    let best: Lane | undefined;
    for (const lane of candidates) {
      if (lane.state !== 'open') continue;
      if (lane.at >= lane.buffer.length) {
        // Time order without follow: a lane not read yet might hold the earliest record.
        if (!lane.idle && this.options.order === 'time') return undefined;
        continue;
      }
      if (best === undefined || lane.buffer[lane.at]!.timestamp < best.buffer[best.at]!.timestamp)
        best = lane;
    }
    return best;
  }

  /** Opens every waiting lane whose parents are finished (repeatedly: a skipped lane frees its children). */
  private async openReady(signal?: AbortSignal): Promise<void> {
    const listed = new Set(this.lanes.map((l) => l.info.id));
    let opened = true;
    while (opened) {
      opened = false;
      for (const lane of this.lanes) {
        if (lane.state !== 'waiting') continue;
        const parents = (lane.info.parents ?? []).filter((p) => listed.has(p));
        if (!parents.every((p) => this.lanes.find((l) => l.info.id === p)!.state === 'finished')) continue;
        const start = this.options.startOf(lane.info.id, this.initial);
        if (start === 'skip') lane.state = 'finished';
        else {
          lane.cursor = await this.options.reader.open(lane.info.id, start, signal);
          lane.state = 'open';
        }
        opened = true;
      }
    }
  }
}

/** The positions of a partition, as `compare` orders them: whether `a` is after `b`. */
export function isAfter(reader: Pick<PeekReader, 'compare'>, a: Position, b: Position): boolean {
  return reader.compare(a, b) > 0;
}
