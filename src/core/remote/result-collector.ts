import type { ConsumeMessage } from 'amqplib';
import { describeError } from '../errors/agentctl-error.js';
import { encodeEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import type { RunnerContext } from '../runners/runner.js';
import { parkedRemoteRun } from '../store/parking.js';
import type { NewFailedMessage } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { DispatchBook } from './dispatch-book.js';
import type { Delivery, TaskEndpoint } from './task-endpoint.js';
import { decodeResult, type ResultMessage } from './task-message.js';

/** Results recorded per store write, and the longest they wait to fill a batch. */
export const RESULT_BATCH = 200;
const RESULT_LINGER_MS = 20;

/** A delivered result held until it is recorded (`undefined`: it could not be read; acked all the same). */
interface Pending extends Delivery {
  readonly result: ResultMessage | undefined;
}

/**
 * The queue runner's side of the results queue: results are recorded in batches (up to `RESULT_BATCH`,
 * or what came within `RESULT_LINGER_MS`), as full run upserts in one store write with the parked
 * failures (idempotent by run id; the store never lets a late or duplicate result turn a succeeded run
 * back), then acked with one `multiple` ack. A failed remote run is also parked (reason `task`). A batch
 * the store refuses is kept, not acked, and tried again a second later. One batch is written at a time.
 */
export class ResultCollector {
  private pending: Pending[] = [];
  private recording: Promise<void> | undefined;
  private lingering = false;
  private delivered = 0;

  constructor(
    private readonly endpoint: TaskEndpoint,
    private readonly store: Pick<StateStore, 'flush'>,
    private readonly book: DispatchBook,
    private readonly context: Pick<RunnerContext, 'clock' | 'telemetry'>,
    /** Aborted when the runner closes: no more lingering or retrying. */
    private readonly stop: AbortSignal,
  ) {}

  /** Result messages delivered so far (a closing runner waits while this moves). */
  get received(): number {
    return this.delivered;
  }

  /** Results delivered and not yet recorded. */
  get held(): number {
    return this.pending.length;
  }

  onResult(message: ConsumeMessage, delivery: Delivery): void {
    let result: ResultMessage | undefined;
    try {
      result = decodeResult(message.content);
    } catch (error) {
      this.context.telemetry?.emit('warning', {
        message: `ignored a message on ${this.endpoint.topology.results}: ${describeError(error)}`,
      });
    }
    this.delivered++;
    this.pending.push({ result, generation: delivery.generation, tag: delivery.tag });
    if (this.pending.length >= RESULT_BATCH) void this.record();
    else if (!this.lingering) {
      this.lingering = true;
      void this.context.clock
        .sleep(RESULT_LINGER_MS, this.stop)
        .catch(() => undefined)
        .then(() => {
          this.lingering = false;
          return this.record();
        });
    }
  }

  /** The channel of `generation` is gone: its deliveries come again and are not to be recorded twice. */
  lost(generation: number): void {
    this.pending = this.pending.filter((p) => p.generation > generation);
  }

  /** Forgets what is held (closing: the broker delivers it again to the next runner). */
  clear(): void {
    this.pending = [];
  }

  /** Records the held results (one store write per batch), then acks them. One batch at a time. */
  async record(): Promise<void> {
    while (this.recording !== undefined) await this.recording;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const recording = this.recordBatch(batch).finally(() => {
      this.recording = undefined;
    });
    this.recording = recording;
    await recording;
  }

  private async recordBatch(batch: readonly Pending[]): Promise<void> {
    const runs: RunRecord[] = [];
    const parked: NewFailedMessage[] = [];
    for (const { result } of batch) {
      if (result === undefined) continue;
      runs.push(result.run);
      if (result.run.state === 'failed' && result.event !== undefined)
        parked.push(parkedRemoteRun(result.run, result.event, encodeEvent(result.event), result.worker));
    }
    try {
      // One write, queued behind any journal flush already under way (the store applies flushes in order):
      // a `pending` record the processor took before this result came cannot land after it.
      if (runs.length > 0) await this.store.flush({ runs, ledger: [], efforts: [], parked });
    } catch (error) {
      // Not acked: the broker keeps them and the next batch (or a redelivery) records them.
      if (this.stop.aborted) return;
      this.pending = [...batch, ...this.pending];
      this.context.telemetry?.emit('warning', {
        message: `recording worker results failed: ${describeError(error)}`,
      });
      void this.context.clock.sleep(1_000, this.stop).then(
        () => this.record(),
        () => undefined,
      );
      return;
    }
    for (const run of runs) this.book.resultRecorded(run);
    // A channel closed meanwhile: its results come again and are recorded again (idempotent).
    this.endpoint.ackAll(batch);
  }
}
