import { parsedJson, utf8Text } from '../events/payload-text.js';
import type { FailedMessage } from '../store/records.js';
import type { WhereSubject } from './where.js';

/**
 * The `--where` variables of a failed-store item (`failed list|export|discard`, `replay --failed`): the
 * parked bytes as `event` (parsed when they are JSON — a CloudEvent for a parked event, the record for a
 * publish failure — else null) and `payload` (the text, or null when not UTF-8), where it came from as
 * `meta`, and the item's own fields by name.
 */
export const failedWhere: WhereSubject<FailedMessage> = {
  noun: 'a failed item',
  variables: {
    event: 'the parked event or record, parsed from JSON (null when the bytes are not JSON)',
    payload: 'the parked bytes as text (null when not UTF-8)',
    meta: 'source, partition, position, timestamp (ms), attributes (headers)',
    id: 'the item id',
    status: 'pending, replayed or discarded',
    reason: 'why it was parked: decode, rule, process, publish, …',
    kind: 'event or record',
    group: 'the consumer group that parked it',
    rule: 'the rule (null when none)',
    process: 'the process (null when none)',
    step: 'the step that failed (null when unknown)',
    runId: 'the run id (null when none)',
    eventId: 'the event id (null when unknown)',
    eventType: 'the event type (null when unknown)',
    sink: 'for publish failures, the sink (null otherwise)',
    error: 'the last error message',
    errorName: 'the last error class (null when unknown)',
    attempts: 'attempts made before parking',
    firstFailedAt: 'first failure, ms since the epoch',
    lastFailedAt: 'last failure, ms since the epoch',
  },
  bind(item) {
    const json = parsedJson(item.raw);
    return {
      event: json === undefined ? null : json.value,
      payload: utf8Text(item.raw) ?? null,
      meta: {
        source: item.source,
        partition: item.partition,
        position: item.position,
        timestamp: item.timestamp,
        attributes: item.headers ?? {},
      },
      id: item.id,
      status: item.status,
      reason: item.reason,
      kind: item.kind,
      group: item.group,
      rule: item.rule ?? null,
      process: item.process ?? null,
      step: stepOf(item.error),
      runId: item.runId ?? null,
      eventId: item.eventId ?? null,
      eventType: item.eventType ?? null,
      sink: item.sink ?? null,
      error: item.error,
      errorName: item.errorName ?? null,
      attempts: item.attempts,
      firstFailedAt: item.firstFailedAt,
      lastFailedAt: item.lastFailedAt,
    };
  },
};

/** The step a process failure names: its errors start `step "NAME"` (see `ProcessExecutor`). */
function stepOf(error: string): string | null {
  return /^step "([^"]+)"/.exec(error)?.[1] ?? null;
}
