import { once } from 'node:events';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { createPrivateFile, makePrivateDirectory } from '../../private-files.js';
import { ALL_DELIVERED, type PublishRecord, type SendResult, type Sink } from '../publisher.js';

/** Where an `NdjsonSink` writes. */
export interface NdjsonTarget {
  readonly stream: Writable;
  /** Makes what was written durable (fsync); called after every batch when present. */
  readonly sync?: () => Promise<void>;
  /** Releases the target when the sink closes; absent for streams the sink does not own (stdout). */
  readonly close?: () => Promise<void>;
}

export interface NdjsonSinkOptions {
  /** Default 500. */
  readonly maxBatch?: number;
  /** Bytes of values per batch, which bounds one `write`. Default 1 MiB. */
  readonly maxBatchBytes?: number;
}

export interface NdjsonStdoutOptions extends NdjsonSinkOptions {
  /** Writes here instead of `process.stdout` (tests, or an already open stream the caller owns). */
  readonly stream?: Writable;
}

export interface NdjsonFileOptions extends NdjsonSinkOptions {
  /**
   * `fsync` after every batch. Without it a delivered line is in the OS page cache: it survives the process
   * dying (`kill -9`) but not a power cut or kernel crash. With it, it survives both, at the cost of one
   * fsync per batch (around a millisecond on a local SSD, far more on network disks). Default false.
   */
  readonly durable?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One NDJSON line (with its `\n`) for a record:
 * `{"id":…,"key":…|null,"timestamp":<ms>,"headers":{…},"value":…}`.
 * A value that is UTF-8 JSON text is embedded as JSON, verbatim except that its line breaks (which valid
 * JSON only has between tokens) become spaces, so numbers keep their exact spelling. Any other value is
 * base64 in `value`, and the line ends with `"encoding":"base64"`.
 */
export function toNdjsonLine(record: PublishRecord): string {
  const head = JSON.stringify({
    id: record.id,
    key: record.key ?? null,
    timestamp: record.timestamp,
    headers: record.headers ?? {},
  });
  const json = jsonText(record.value);
  const value =
    json === undefined
      ? `${JSON.stringify(Buffer.from(record.value).toString('base64'))},"encoding":"base64"`
      : json;
  return `${head.slice(0, -1)},"value":${value}}\n`;
}

function jsonText(bytes: Uint8Array): string | undefined {
  try {
    const text = utf8.decode(bytes);
    JSON.parse(text);
    return text.replace(/[\r\n]/g, ' ');
  } catch {
    return undefined;
  }
}

/**
 * A sink that writes one JSON line per record (see `toNdjsonLine`) to stdout or appends them to a file.
 * A batch is one `write` call, so its lines are never interleaved with other writers' within one process;
 * `send` resolves once the stream has taken the bytes (its write callback) and drained when it asked to,
 * so a slow reader slows the publisher down instead of filling memory. A failed write fails the batch
 * (the publisher retries it); an owned target (a file) is reopened on the next send. Never reports
 * per-record failures.
 */
export class NdjsonSink implements Sink {
  readonly maxBatch: number;
  readonly maxBatchBytes: number;
  private opening: Promise<NdjsonTarget> | undefined;
  private closed = false;
  /** Keeps a stream error from crashing the process; the write that hit it fails instead. */
  private readonly ignoreError = () => undefined;

  /** `open` is called on the first send (and again after a write failed on a target it owns). */
  constructor(
    readonly name: string,
    private readonly open: () => NdjsonTarget | Promise<NdjsonTarget>,
    options: NdjsonSinkOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBatchBytes = options.maxBatchBytes ?? 1024 * 1024;
  }

  /** Writes to `process.stdout` (or `options.stream`); named `stdout`. Never closes the stream. */
  static stdout(options: NdjsonStdoutOptions = {}): NdjsonSink {
    return new NdjsonSink('stdout', () => ({ stream: options.stream ?? process.stdout }), options);
  }

  /** Appends to `path`, creating its directories; named `file:<path>`. */
  static file(path: string, options: NdjsonFileOptions = {}): NdjsonSink {
    return new NdjsonSink(`file:${path}`, () => openFile(path, options.durable ?? false), options);
  }

  async send(records: readonly PublishRecord[], signal?: AbortSignal): Promise<SendResult> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    signal?.throwIfAborted();
    if (records.length === 0) return ALL_DELIVERED;
    const target = await this.target();
    try {
      await write(target.stream, Buffer.from(records.map(toNdjsonLine).join('')), signal);
      if (target.sync !== undefined) await target.sync();
    } catch (error) {
      if (target.close !== undefined && target.stream.destroyed) this.opening = undefined;
      throw error;
    }
    return ALL_DELIVERED;
  }

  /** Waits for pending writes, then closes an owned target (a file). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const target = await this.opening?.catch(() => undefined);
    await target?.close?.();
    target?.stream.off('error', this.ignoreError);
  }

  private target(): Promise<NdjsonTarget> {
    if (this.opening === undefined) {
      const opening = Promise.resolve().then(this.open);
      opening.then(
        (target) => target.stream.on('error', this.ignoreError),
        () => {
          if (this.opening === opening) this.opening = undefined;
        },
      );
      this.opening = opening;
    }
    return this.opening;
  }
}

async function openFile(path: string, durable: boolean): Promise<NdjsonTarget> {
  // Published records are payloads: a file the sink creates is its owner's alone.
  makePrivateDirectory(dirname(path));
  createPrivateFile(path);
  const handle = await open(path, 'a+');
  try {
    await endTornLine(handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const stream = handle.createWriteStream();
  return {
    stream,
    ...(durable ? { sync: () => handle.sync() } : {}),
    close: async () => {
      if (stream.destroyed) return;
      const closed = once(stream, 'close');
      stream.end();
      await closed;
    },
  };
}

/**
 * Ends the file's last line if it has no newline: a line cut short by a crash (a SIGKILL can stop a write
 * between two pages). The next line appended is then a line of its own; glued to the cut one, a reader
 * would lose it too. The cut line stays, as a line that is not JSON (its record is published again: it
 * was never acknowledged).
 */
async function endTornLine(handle: FileHandle): Promise<void> {
  const { size } = await handle.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] !== 0x0a) await handle.write('\n');
}

/** Resolves when the stream has taken `chunk` and, if it asked for it, drained. */
async function write(stream: Writable, chunk: Buffer, signal?: AbortSignal): Promise<void> {
  let drained = true;
  const flushed = new Promise<void>((resolve, reject) => {
    drained = stream.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
  const waits: Promise<unknown>[] = [flushed];
  if (!drained) waits.push(once(stream, 'drain', signal === undefined ? {} : { signal }));
  await abortable(Promise.all(waits), signal);
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
