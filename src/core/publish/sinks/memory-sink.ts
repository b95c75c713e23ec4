import { type Clock, systemClock } from '../../clock.js';
import { TransientError } from '../../errors/transient-error.js';
import type { PublishRecord, SendResult, Sink } from '../publisher.js';

export interface MemorySinkOptions {
  /** Default `memory`. */
  readonly name?: string;
  /** Default 500. */
  readonly maxBatch?: number;
  /** No limit unless set. */
  readonly maxBatchBytes?: number;
  /** How long every send takes, waited on `clock` (abortable by the send's signal). Default 0. */
  readonly latencyMs?: number;
  readonly clock?: Clock;
}

/**
 * An in-memory sink for tests and demos. It keeps what it delivered, in order, and can be scripted to fail:
 * whole sends (`failNext`, `setDown`) or single records of a send (`failRecords`).
 *
 * A send is checked in this order: the sink is closed → throws; the batch breaks `maxBatch`, or has more
 * than one record and breaks `maxBatchBytes` → throws a non-transient `Error` (a publisher bug, not an
 * outage); latency is waited; down → throws; a scripted `failNext` → throws; then each record matching
 * `failRecords` is reported failed and every other one is delivered.
 */
export class MemorySink implements Sink {
  readonly name: string;
  readonly maxBatch: number;
  readonly maxBatchBytes: number | undefined;
  /** Every delivered record, in delivery order (a record delivered twice appears twice). */
  readonly delivered: PublishRecord[] = [];
  /** The size of every `send` call, in call order, failed ones included. */
  readonly sends: number[] = [];
  /** The records of every `send` call, in call order, failed ones included. */
  readonly batches: (readonly PublishRecord[])[] = [];
  private readonly latencyMs: number;
  private readonly clock: Clock;
  private failures: { remaining: number; error: unknown } = { remaining: 0, error: undefined };
  private recordFailure: { predicate: (record: PublishRecord) => boolean; error: unknown } | undefined;
  private down: { error: unknown } | undefined;
  private closed = false;

  constructor(options: MemorySinkOptions = {}) {
    this.name = options.name ?? 'memory';
    this.maxBatch = options.maxBatch ?? 500;
    this.maxBatchBytes = options.maxBatchBytes;
    this.latencyMs = options.latencyMs ?? 0;
    this.clock = options.clock ?? systemClock;
  }

  /** The next `n` sends throw `error` (default a `TransientError`). Replaces any earlier script. */
  failNext(n = 1, error: unknown = new TransientError(`${this.name}: scripted failure`)): this {
    this.failures = { remaining: n, error };
    return this;
  }

  /**
   * From now on, records for which `predicate` is true fail inside their send (reported in
   * `SendResult.failures`) with `error`; the others are delivered. `undefined` stops it.
   */
  failRecords(
    predicate: ((record: PublishRecord) => boolean) | undefined,
    error: unknown = new TransientError(`${this.name}: scripted record failure`),
  ): this {
    this.recordFailure = predicate === undefined ? undefined : { predicate, error };
    return this;
  }

  /** While down, every send throws `error` (default a `TransientError`). */
  setDown(down: boolean, error: unknown = new TransientError(`${this.name} is down`)): this {
    this.down = down ? { error } : undefined;
    return this;
  }

  async send(records: readonly PublishRecord[], signal?: AbortSignal): Promise<SendResult> {
    if (this.closed) throw new Error(`${this.name} is closed`);
    this.sends.push(records.length);
    this.batches.push([...records]);
    this.checkLimits(records);
    if (this.latencyMs > 0) await this.clock.sleep(this.latencyMs, signal);
    signal?.throwIfAborted();
    if (this.down !== undefined) throw this.down.error;
    if (this.failures.remaining > 0) {
      this.failures.remaining -= 1;
      throw this.failures.error;
    }
    const failures = new Map<number, unknown>();
    records.forEach((record, index) => {
      if (this.recordFailure?.predicate(record)) failures.set(index, this.recordFailure.error);
      else this.delivered.push(record);
    });
    return { failures };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private checkLimits(records: readonly PublishRecord[]): void {
    if (records.length > this.maxBatch) {
      throw new Error(`${this.name}: batch of ${records.length} records exceeds maxBatch ${this.maxBatch}`);
    }
    if (this.maxBatchBytes === undefined || records.length <= 1) return;
    const bytes = records.reduce((sum, record) => sum + record.value.byteLength, 0);
    if (bytes > this.maxBatchBytes) {
      throw new Error(`${this.name}: batch of ${bytes} bytes exceeds maxBatchBytes ${this.maxBatchBytes}`);
    }
  }
}
