import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';

/**
 * What the `QueueRunner` puts on `<endpoint>.tasks`: one process run to execute. The run record travels
 * whole (state `pending`), so the worker's result carries the same id, group and origin back.
 */
export interface TaskMessage {
  readonly format: 'agentctl.task/1';
  readonly run: RunRecord;
  readonly process: string;
  readonly rule: string;
  readonly params: unknown;
  readonly event: CloudEvent;
  readonly endpoint: string;
  readonly dispatchedAt: number;
  /**
   * Names this dispatch of the run (a redelivered task carries the same one, an event re-read and
   * dispatched again a new one). Tasks of older agents have none: their `dispatchedAt` stands in.
   */
  readonly dispatch?: string;
  /**
   * Routing key (on the `results` exchange) of the result: the dispatching agent's own results queue.
   * Tasks of older agents have none: their results go to `<endpoint>.results`.
   */
  readonly results?: string;
}

/**
 * What a worker publishes to the `results` exchange (routing key `<endpoint>.results`): the finished run
 * (`succeeded` or `failed`), and for a failed run the event too, so that the agent can park it for
 * `replay --failed`.
 */
export interface ResultMessage {
  readonly format: 'agentctl.result/1';
  readonly run: RunRecord;
  readonly endpoint: string;
  readonly worker: string;
  readonly event?: CloudEvent;
}

/** Which dispatch of its run a task is (see `TaskMessage.dispatch`). */
export function dispatchOf(task: TaskMessage): string {
  return task.dispatch ?? `at ${task.dispatchedAt}`;
}

/** A task or result that cannot be read: never retried, it is acked and reported. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

function parse(content: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8'));
  } catch (error) {
    throw new MalformedMessageError(`${what} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null)
    throw new MalformedMessageError(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function checkRun(run: unknown, what: string): RunRecord {
  const r = run as Partial<RunRecord> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.id !== 'string' ||
    typeof r.group !== 'string' ||
    typeof r.process !== 'string' ||
    typeof r.state !== 'string' ||
    !Array.isArray(r.steps)
  ) {
    throw new MalformedMessageError(`${what} has no valid run record`);
  }
  return r as RunRecord;
}

export function encodeTask(task: TaskMessage): Buffer {
  return Buffer.from(JSON.stringify(task));
}

/** @throws MalformedMessageError */
export function decodeTask(content: Uint8Array): TaskMessage {
  const value = parse(content, 'task');
  if (value.format !== 'agentctl.task/1')
    throw new MalformedMessageError(`unknown task format ${String(value.format)}`);
  checkRun(value.run, 'task');
  const event = value.event as CloudEvent | undefined;
  if (typeof event !== 'object' || event === null || typeof event.id !== 'string') {
    throw new MalformedMessageError('task has no event');
  }
  return value as unknown as TaskMessage;
}

export function encodeResult(result: ResultMessage): Buffer {
  return Buffer.from(JSON.stringify(result));
}

/** @throws MalformedMessageError */
export function decodeResult(content: Uint8Array): ResultMessage {
  const value = parse(content, 'result');
  if (value.format !== 'agentctl.result/1') {
    throw new MalformedMessageError(`unknown result format ${String(value.format)}`);
  }
  const run = checkRun(value.run, 'result');
  if (run.state !== 'succeeded' && run.state !== 'failed') {
    throw new MalformedMessageError(`result of run ${run.id} is not finished (${run.state})`);
  }
  return value as unknown as ResultMessage;
}
