import { open, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { SourceUnavailableError } from '../errors/source-unavailable-error.js';
import type { StateStore } from '../store/state-store.js';
import type { AttributeValue, Bytes, Message, Partition, Position, StartPosition } from '../types.js';
import type { Fetch, PartitionInfo, PartitionStatus, Source } from './source.js';

export interface FileSourceOptions {
  readonly path: string;
  /** Checkpoints of this group are reported by `describe`. */
  readonly store?: StateStore;
  readonly group?: string;
  readonly idleMs?: number;
  readonly clock?: Clock;
  /** Bytes read per chunk (default 1 MiB). */
  readonly chunkBytes?: number;
}

const PARTITION: Partition = '0';
const NEWLINE = 0x0a;
const NO_ATTRIBUTES: Readonly<Record<string, AttributeValue>> = Object.freeze({});

/**
 * An NDJSON file (`file:events.ndjson`) as a source of one partition, `0`, whose positions are line
 * numbers (1-based). Blank lines are skipped but still counted. The file is followed as it grows (like
 * `tail -f`); a last line without a newline is taken once the file has stopped growing for one poll.
 * Whatever is later written up to the next newline belongs to that line and is not taken again: positions
 * stay the file's own line numbers, which is what a restarted reader counts when it resumes after one.
 */
export class FileSource implements Source {
  readonly id: string;
  readonly uri: string;
  readonly coordination = 'leases' as const;
  readonly checkpointing = 'store' as const;
  private readonly path: string;
  private readonly clock: Clock;
  private assigned = false;
  private paused = false;
  /** Byte offset of the next unread line, and the number of the last line read. */
  private offset = 0;
  private line = 0;
  private lastSize = -1;
  /** The last line was taken without its newline: bytes up to the next newline belong to it. */
  private partial = false;
  private readonly timestamp: number;

  constructor(private readonly options: FileSourceOptions) {
    this.path = resolve(options.path);
    this.id = `file:${this.path}`;
    this.uri = this.id;
    this.clock = options.clock ?? systemClock;
    this.timestamp = this.clock.now();
  }

  async connect(): Promise<void> {
    try {
      const info = await stat(this.path);
      if (!info.isFile()) throw new Error('not a regular file');
    } catch (cause) {
      throw new SourceUnavailableError(`cannot read ${this.path}: ${(cause as Error).message}`, {
        cause,
        hint: 'check the path given to --source file:PATH',
      });
    }
  }

  async partitions(): Promise<PartitionInfo[]> {
    return [{ id: PARTITION }];
  }

  async assign(starts: ReadonlyMap<Partition, StartPosition>): Promise<void> {
    const start = starts.get(PARTITION);
    if (start === undefined) return;
    this.assigned = true;
    let skip: number;
    switch (start.kind) {
      case 'earliest':
      case 'timestamp':
        skip = 0;
        break;
      case 'latest':
        skip = Number.POSITIVE_INFINITY;
        break;
      case 'after':
        skip = Number(start.position);
        break;
      case 'at':
        skip = Number(start.position) - 1;
        break;
    }
    await this.seekAfterLine(skip);
  }

  async revoke(): Promise<void> {
    this.assigned = false;
  }

  async poll(max: number, signal?: AbortSignal): Promise<Fetch> {
    const messages = this.assigned && !this.paused ? await this.readLines(max) : [];
    if (messages.length === 0) {
      await this.clock.sleep(this.options.idleMs ?? 50, signal).catch(() => undefined);
      return { messages, ended: [], caughtUp: true };
    }
    return { messages, ended: [], caughtUp: false };
  }

  async commit(): Promise<void> {}

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async describe(): Promise<PartitionStatus[]> {
    const latest = await this.countLines();
    const { store, group } = this.options;
    const committed =
      store && group !== undefined
        ? (await store.checkpoints.get(group, this.id, [PARTITION])).get(PARTITION)?.position
        : undefined;
    return [
      {
        partition: PARTITION,
        state: this.assigned ? (this.paused ? 'paused' : 'reading') : 'unassigned',
        latest: String(latest),
        ...(committed === undefined ? {} : { committed }),
        lagRecords: Math.max(0, latest - Number(committed ?? 0)),
      },
    ];
  }

  compare(a: Position, b: Position): number {
    return Number(a) - Number(b);
  }

  async close(): Promise<void> {
    this.assigned = false;
  }

  private async readLines(max: number): Promise<Message<Bytes>[]> {
    const messages: Message<Bytes>[] = [];
    const handle = await open(this.path, 'r');
    try {
      const size = (await handle.stat()).size;
      const chunk = Buffer.allocUnsafe(this.options.chunkBytes ?? 1 << 20);
      let carry: Buffer | undefined;
      while (messages.length < max && this.offset + (carry?.length ?? 0) < size) {
        const at = this.offset + (carry?.length ?? 0);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
        if (bytesRead === 0) break;
        const data: Buffer = carry
          ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
          : chunk.subarray(0, bytesRead);
        let start = 0;
        for (;;) {
          if (messages.length >= max) break;
          const end = data.indexOf(NEWLINE, start);
          if (end < 0) break;
          if (this.partial) this.partial = false;
          else this.take(data.subarray(start, end), messages);
          this.offset += end + 1 - start;
          start = end + 1;
        }
        carry = start < data.length ? Buffer.from(data.subarray(start)) : undefined;
        if (messages.length >= max) break;
      }
      const tail = size - this.offset;
      if (messages.length < max && tail > 0 && !carry?.includes(NEWLINE) && size === this.lastSize) {
        if (!this.partial) {
          const rest = Buffer.allocUnsafe(tail);
          await handle.read(rest, 0, tail, this.offset);
          this.take(rest, messages);
        }
        this.offset = size;
        this.partial = true;
      }
      this.lastSize = size;
    } finally {
      await handle.close();
    }
    return messages;
  }

  private take(lineBytes: Buffer, messages: Message<Bytes>[]): void {
    this.line++;
    const trimmed =
      lineBytes.length > 0 && lineBytes[lineBytes.length - 1] === 0x0d
        ? lineBytes.subarray(0, -1)
        : lineBytes;
    if (trimmed.toString('utf8').trim().length === 0) return;
    const raw = new Uint8Array(trimmed);
    messages.push({
      partition: PARTITION,
      position: String(this.line),
      payload: raw,
      raw,
      timestamp: this.timestamp,
      attributes: NO_ATTRIBUTES,
    });
  }

  private async seekAfterLine(skip: number): Promise<void> {
    this.offset = 0;
    this.line = 0;
    this.partial = false;
    if (skip <= 0) return;
    const handle = await open(this.path, 'r');
    try {
      const chunk = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.offset);
        if (bytesRead === 0) return;
        let start = 0;
        for (;;) {
          const end = chunk.indexOf(NEWLINE, start);
          if (end < 0 || end >= bytesRead) break;
          this.line++;
          this.offset += end + 1 - start;
          start = end + 1;
          if (this.line >= skip) return;
        }
        if (start === 0 && bytesRead === chunk.length)
          throw new Error(`line ${this.line + 1} is longer than 1 MiB`);
        if (bytesRead < chunk.length) {
          // An unterminated last line at or before the skip point was taken already (see `partial`).
          if (start < bytesRead && this.line < skip) {
            this.line++;
            this.offset += bytesRead - start;
            this.partial = true;
          }
          return;
        }
      }
    } finally {
      await handle.close();
    }
  }

  private async countLines(): Promise<number> {
    const handle = await open(this.path, 'r');
    try {
      const chunk = Buffer.allocUnsafe(1 << 20);
      let position = 0;
      let lines = 0;
      let last = NEWLINE;
      for (;;) {
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        for (let i = chunk.indexOf(NEWLINE); i >= 0 && i < bytesRead; i = chunk.indexOf(NEWLINE, i + 1))
          lines++;
        last = chunk[bytesRead - 1]!;
        position += bytesRead;
      }
      return last === NEWLINE ? lines : lines + 1;
    } finally {
      await handle.close();
    }
  }
}
