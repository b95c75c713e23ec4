import type { CloudEvent } from '../events/cloud-event.js';
import type { RunRecord } from '../model/run-record.js';
import type { ProcessRegistry, PublishContext, PublishSpec } from '../processes/process.js';
import type { PublishRecord } from '../publish/publisher.js';

const encoder = new TextEncoder();

/**
 * A process's `publish` option failed for one succeeded run: the hook threw, or its value cannot be
 * encoded. The run stays succeeded (its effects happened); its event is parked with reason `publish`.
 */
export class PublishSpecError extends Error {
  constructor(
    readonly run: RunRecord,
    cause: unknown,
  ) {
    super(
      `the publish option of process "${run.process}" failed for run ${run.id}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'PublishSpecError';
  }
}

function bytesOf(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : encoder.encode(JSON.stringify(value));
}

/**
 * The records to publish for the succeeded runs of an event, per each process's `publish` option. A
 * record's id is its run id, so re-publishing after a replay is recognisable downstream.
 */
export function publishRecordsOf(
  runs: readonly RunRecord[],
  event: CloudEvent,
  processes: ProcessRegistry,
  origin: PublishRecord['origin'],
): PublishRecord[] {
  const records: PublishRecord[] = [];
  for (const run of runs) {
    if (run.state !== 'succeeded') continue;
    const publish = processes.get(run.process)?.publish;
    if (publish === undefined || publish === false) continue;
    try {
      const record = recordOf(run, publish, event, origin);
      if (record !== undefined) records.push(record);
    } catch (error) {
      throw new PublishSpecError(run, error);
    }
  }
  return records;
}

/** The record of one succeeded run, per its process's `publish` option (`undefined`: nothing to publish). */
function recordOf(
  run: RunRecord,
  publish: true | ((output: unknown, context: PublishContext<CloudEvent>) => PublishSpec | undefined),
  event: CloudEvent,
  origin: PublishRecord['origin'],
): PublishRecord | undefined {
  let spec: PublishSpec | undefined;
  if (publish === true) {
    spec = {
      key: event.subject ?? event.id,
      value: {
        runId: run.id,
        eventId: run.eventId,
        eventType: run.eventType,
        rule: run.rule,
        process: run.process,
        output: run.output ?? null,
      },
    };
  } else {
    spec = publish(run.output, { event, runId: run.id, rule: run.rule, process: run.process });
  }
  if (spec === undefined) return undefined;
  return {
    id: run.id,
    value: bytesOf(spec.value),
    timestamp: run.finishedAt ?? run.updatedAt,
    runId: run.id,
    ...(spec.key === undefined ? {} : { key: spec.key }),
    ...(spec.headers === undefined ? {} : { headers: spec.headers }),
    ...(origin === undefined ? {} : { origin }),
  };
}
