import { type Clock, SLEEP_CANCELLED } from '../../clock.js';
import { FatalError } from '../../errors/fatal-error.js';
import { TimeoutError } from '../../errors/timeout-error.js';
import type { PublishRecord, SendProgress, SendResult, Sink } from '../publisher.js';

/** How a send ended: the sink's result, or what it threw (the timeout included). */
type SendOutcome =
  | { readonly ok: true; readonly result: SendResult }
  | { readonly ok: false; readonly error: unknown };

/** One record's outcome, known at clock time `now`: delivered (`ok`), or failed with `error`. */
export type RecordOutcome = (index: number, ok: boolean, error: unknown, now: number) => void;

/**
 * Sends `records` in one `sink.send` (see `sendWithin`) and tells `outcome` the result of each record,
 * by its index, exactly once: as soon as the sink reports it through `SendProgress` (a delivered record
 * frees its caller and its key before the last record of a large batch is confirmed), else when the send
 * ends — every record failed with what the send threw, or as its `SendResult` says (the clock is read once
 * for all of them, and once per report through `SendProgress`). Reports after the
 * end are ignored. An `outcome` that throws while the send is under way goes to `onError`; one that
 * throws at the end rejects the returned promise (the records after it are not told).
 */
export async function sendBatch(
  sink: Sink,
  records: readonly PublishRecord[],
  timeoutMs: number,
  clock: Clock,
  outcome: RecordOutcome,
  onError: (error: unknown) => void,
): Promise<void> {
  // `handled` keeps the end of the send from telling an outcome again; `open` ignores reports after it.
  const handled = new Uint8Array(records.length);
  let open = true;
  const progress: SendProgress = (index, failure) => {
    if (!open || records[index] === undefined || handled[index] === 1) return;
    handled[index] = 1;
    try {
      outcome(index, failure === undefined, failure, clock.now());
    } catch (error) {
      onError(error);
    }
  };
  const sent = await sendWithin(sink, records, progress, timeoutMs, clock);
  open = false;
  const now = clock.now();
  for (let index = 0; index < records.length; index++) {
    if (handled[index] === 1) continue;
    if (!sent.ok) outcome(index, false, sent.error, now);
    else if (sent.result.failures.has(index)) outcome(index, false, sent.result.failures.get(index), now);
    else outcome(index, true, undefined, now);
  }
}

/**
 * One `sink.send` that never rejects and never takes longer than `timeoutMs`: past it the send fails
 * with a `TimeoutError` and its signal is aborted (a sink that ignores the signal may still be running
 * when this returns). An infinite `timeoutMs` waits as long as the sink takes.
 */
async function sendWithin(
  sink: Sink,
  records: readonly PublishRecord[],
  progress: SendProgress,
  timeoutMs: number,
  clock: Clock,
): Promise<SendOutcome> {
  const controller = new AbortController();
  const timer = new AbortController();
  const timeout = new Promise<never>((_, reject) => {
    if (!Number.isFinite(timeoutMs)) return;
    clock.sleep(timeoutMs, timer.signal).then(
      () => {
        const error = new TimeoutError(`${sink.name}: send took longer than ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      },
      () => undefined,
    );
  });
  try {
    const result = await Promise.race([sink.send(records, controller.signal, progress), timeout]);
    if (!isSendResult(result)) return { ok: false, error: malformed(sink, result) };
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error };
  } finally {
    timer.abort(SLEEP_CANCELLED);
  }
}

/** A `SendResult` as the publisher reads it: `failures`, a map (or anything read as one) of indexes. */
function isSendResult(result: unknown): result is SendResult {
  const failures = (result as { failures?: { has?: unknown; get?: unknown } } | null | undefined)?.failures;
  return typeof failures?.has === 'function' && typeof failures.get === 'function';
}

/**
 * A send whose result is not a `SendResult` (a hand-written sink's mistake): its records fail with this
 * error, which is not retriable — sending them again would not change the sink's code — so they are parked
 * with what to fix, and the agent goes on.
 */
function malformed(sink: Sink, result: unknown): FatalError {
  const got = Array.isArray(result) ? 'an array' : result === null ? 'null' : typeof result;
  return new FatalError(
    `${sink.name}: send resolved with ${got}, not { failures: Map } (a SendResult: the indexes of the records that failed)`,
  );
}
