import { encodeEvent } from '../events/cloud-event.js';
import { eventParkKey } from '../store/parking.js';
import type { NewFailedMessage } from '../store/records.js';
import type { ResultMessage } from './task-message.js';

/**
 * The failed item of a run that failed on a worker: reason `task`, with the event the worker sent back,
 * keyed as the event would be parked by the agent itself, so that `replay --failed` runs it again.
 * `result.event` must be present (a worker sends it with every failed run).
 */
export function parkedResult(result: ResultMessage): NewFailedMessage {
  const { run } = result;
  const event = result.event!;
  const source = run.origin?.source ?? '';
  return {
    group: run.group,
    source,
    partition: run.origin?.partition ?? '',
    position: run.origin?.position ?? '',
    reason: 'task',
    kind: 'event',
    error: run.error ?? 'run failed on a worker',
    rule: run.rule,
    process: run.process,
    runId: run.id,
    eventId: run.eventId,
    eventType: run.eventType,
    attempts: run.attempts,
    raw: encodeEvent(event),
    timestamp: run.createdAt,
    failedAt: run.finishedAt ?? run.updatedAt,
    via: `worker ${result.worker}`,
    key: eventParkKey(run.group, source, event),
  };
}
