import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { LogRecord } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { AttributeValue, Bytes, Message, Partition, Position, StartPosition } from '../types.js';
import type { Fetch, PartitionInfo, PartitionStatus, Source } from './source.js';

export interface LocalSourceOptions {
  readonly store: StateStore;
  /** The log topic (default `events`). */
  readonly topic?: string;
  /** Partitions of a topic this source creates (default 4). */
  readonly partitions?: number;
  /** The consumer group whose checkpoints `describe` reports. */
  readonly group?: string;
  /** Wait between polls that find nothing (default 50 ms). */
  readonly idleMs?: number;
  readonly clock?: Clock;
}

/** A batch read from the log, and where each partition's cursor goes once it is handed out. */
interface Read {
  readonly messages: Message<Bytes>[];
  readonly cursors: Map<Partition, number>;
}

const NO_ATTRIBUTES: Readonly<Record<string, AttributeValue>> = Object.freeze({});

/**
 * The embedded local log in the state store (`local:` / `local:TOPIC`), the default source. Partitions are
 * the topic's numbered partitions; positions are offsets. Checkpoints live in the store; agents sharing
 * the store split partitions through leases.
 */
export class LocalSource implements Source {
  readonly id: string;
  readonly uri: string;
  readonly coordination = 'leases' as const;
  readonly checkpointing = 'store' as const;
  private readonly topic: string;
  private readonly cursors = new Map<Partition, number>();
  private readonly paused = new Set<Partition>();
  private order: Partition[] = [];
  private next = 0;
  private readonly clock: Clock;
  /** The read of the next batch, started when the last poll handed one out (see `readAhead`). */
  private ahead: { readonly max: number; readonly read: Promise<Read | undefined> } | undefined;

  constructor(private readonly options: LocalSourceOptions) {
    this.topic = options.topic ?? 'events';
    this.id = `local:${this.topic}`;
    this.uri = this.id;
    this.clock = options.clock ?? systemClock;
  }

  async connect(): Promise<void> {
    await this.options.store.log.ensureTopic(this.topic, this.options.partitions ?? 4);
  }

  async partitions(): Promise<PartitionInfo[]> {
    const topic = await this.options.store.log.topic(this.topic);
    const count = topic?.partitions ?? 0;
    return Array.from({ length: count }, (_, i) => ({ id: String(i) }));
  }

  async assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    for (const [partition, start] of starts) {
      this.cursors.set(partition, await this.cursorFor(Number(partition), start));
    }
    this.ahead = undefined;
    this.order = [...this.cursors.keys()];
  }

  async revoke(partitions: readonly Partition[]): Promise<void> {
    for (const partition of partitions) {
      this.cursors.delete(partition);
      this.paused.delete(partition);
    }
    this.ahead = undefined;
    this.order = [...this.cursors.keys()];
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    const ahead = this.ahead;
    this.ahead = undefined;
    let read = ahead !== undefined && ahead.max === max ? await ahead.read : undefined;
    // An empty read-ahead may predate records appended since: only a read made now says "caught up".
    if (read === undefined || read.messages.length === 0) read = await this.read(max);
    const { messages, cursors } = read;
    if (messages.length === 0) {
      await this.clock.sleep(this.options.idleMs ?? 50, signal).catch(() => undefined);
      return { messages, ended: [], caughtUp: true };
    }
    for (const [partition, cursor] of cursors) this.cursors.set(partition, cursor);
    if (this.options.store.kind !== 'sqlite') this.readAhead(max);
    return { messages, ended: [], caughtUp: false };
  }

  /**
   * Starts reading the next batch while this one is processed, so that a store answering over the network
   * (PostgreSQL) is not waited for in each poll. Not for SQLite: it reads in-process and synchronously, so
   * a read started ahead would only be done sooner, not alongside. The read only looks: cursors move when
   * `poll` hands its messages out, and whatever changes what the next poll must read (assign, revoke,
   * pause, resume, close) throws it away. A failed read-ahead is forgotten; the next poll reads again and
   * meets the error itself.
   */
  private readAhead(max: number): void {
    this.ahead = { max, read: this.read(max).catch(() => undefined) };
  }

  /**
   * Up to `max` records from the readable partitions, without moving the cursors. Every readable partition
   * is asked for its share at once; when the shares add up to more than `max` (more partitions than
   * `max`), the last ones in this poll's turn give way (their records are read again later) — but each is
   * asked, so an empty read means that every partition is at its head.
   */
  private async read(max: number): Promise<Read> {
    const messages: Message<Bytes>[] = [];
    const cursors = new Map<Partition, number>();
    const readable = this.order.filter((p) => !this.paused.has(p));
    if (readable.length === 0) return { messages, cursors };
    const share = Math.max(1, Math.ceil(max / readable.length));
    const partitions: Partition[] = [];
    for (let k = 0; k < readable.length; k++) partitions.push(readable[(this.next + k) % readable.length]!);
    this.next = (this.next + 1) % readable.length;
    const results = await this.readShares(partitions, share);
    for (let k = 0; k < results.length && messages.length < max; k++) {
      const partition = partitions[k]!;
      const all = results[k]!;
      const records = all.length <= max - messages.length ? all : all.slice(0, max - messages.length);
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        messages.push({
          partition,
          position: String(r.offset),
          payload: r.value,
          raw: r.value,
          timestamp: r.timestamp,
          attributes: r.key === null ? NO_ATTRIBUTES : { key: r.key },
          text: r.text,
        });
      }
      if (records.length > 0) cursors.set(partition, records[records.length - 1]!.offset);
    }
    return { messages, cursors };
  }

  /** `share` records of each partition after its cursor: in one call where the store reads many at once. */
  private readShares(partitions: readonly Partition[], share: number): Promise<LogRecord[][]> {
    const log = this.options.store.log;
    if (log.readMany !== undefined) {
      return log.readMany(
        this.topic,
        partitions.map((p) => ({ partition: Number(p), afterOffset: this.cursors.get(p)!, max: share })),
      );
    }
    return Promise.all(partitions.map((p) => log.read(this.topic, Number(p), this.cursors.get(p)!, share)));
  }

  async commit(): Promise<void> {}

  pause(partitions: readonly Partition[]): void {
    for (const partition of partitions) this.paused.add(partition);
    this.ahead = undefined;
  }

  resume(partitions: readonly Partition[]): void {
    for (const partition of partitions) this.paused.delete(partition);
    this.ahead = undefined;
  }

  async describe(): Promise<PartitionStatus[]> {
    const { store, group } = this.options;
    const checkpoints = group === undefined ? new Map() : await store.checkpoints.get(group, this.id);
    const statuses: PartitionStatus[] = [];
    for (const info of await this.partitions()) {
      const bounds = await store.log.bounds(this.topic, Number(info.id));
      const committed = checkpoints.get(info.id)?.position as Position | undefined;
      const done = committed === undefined ? bounds.earliest - 1 : Number(committed);
      statuses.push({
        partition: info.id,
        state: this.cursors.has(info.id) ? (this.paused.has(info.id) ? 'paused' : 'reading') : 'unassigned',
        ...(committed === undefined ? {} : { committed }),
        ...(bounds.latest < 0 ? {} : { latest: String(bounds.latest) }),
        lagRecords: bounds.latest < 0 ? 0 : Math.max(0, bounds.latest - Math.max(done, bounds.earliest - 1)),
      });
    }
    return statuses;
  }

  compare(a: Position, b: Position): number {
    return Number(a) - Number(b);
  }

  async close(): Promise<void> {
    this.ahead = undefined;
    this.cursors.clear();
    this.order = [];
  }

  /** The offset to read after, for a start position. */
  private async cursorFor(partition: number, start: StartPosition): Promise<number> {
    const log = this.options.store.log;
    switch (start.kind) {
      case 'earliest':
        return Math.max(-1, (await log.bounds(this.topic, partition)).earliest - 1);
      case 'latest':
        return (await log.bounds(this.topic, partition)).latest;
      case 'after':
        return Number(start.position);
      case 'at':
        return Number(start.position) - 1;
      case 'timestamp':
        return (await log.offsetAtTime(this.topic, partition, start.ms)) - 1;
    }
  }
}
