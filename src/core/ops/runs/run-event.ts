import { parsedJson } from '../../events/payload-text.js';
import type { RunRecord } from '../../model/run-record.js';
import type { FailedMessage } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import type { Bytes } from '../../types.js';

/**
 * A run's event as `runs show` finds it: its bytes from the parked item (the event was parked) or from the
 * local log (read at the run's origin), parsed when they are JSON — or why it is not at hand.
 */
export type RunEvent =
  | {
      readonly stored: 'parked' | 'log';
      readonly raw: Bytes;
      /** The bytes parsed as JSON (a CloudEvent), or null when they are not JSON. */
      readonly event: unknown;
    }
  | { readonly stored: 'none'; readonly why: string };

/** The event of a parked item of kind `event`. */
export function eventOfParked(item: FailedMessage): RunEvent {
  return { stored: 'parked', raw: item.raw, event: parsed(item.raw) };
}

/**
 * The run's event read from the embedded log at its origin (a run of a `local:TOPIC` source); for another
 * source, or a record the log no longer holds (pruned), why it is not stored. Reads one record.
 */
export async function eventFromLog(store: StateStore, run: RunRecord): Promise<RunEvent> {
  const origin = run.origin;
  if (origin === undefined) return { stored: 'none', why: 'the run does not say where its event was read' };
  if (!origin.source.startsWith('local:')) {
    return {
      stored: 'none',
      why: `agentctl keeps the events of ${origin.source} only when they are parked; read it at partition ${origin.partition}, position ${origin.position} with the source’s own tools`,
    };
  }
  const topic = origin.source.slice('local:'.length).replace(/^\/\//, '');
  const partition = Number(origin.partition);
  const offset = Number(origin.position);
  if (!Number.isInteger(partition) || !Number.isInteger(offset)) {
    return { stored: 'none', why: `${origin.partition}@${origin.position} is not a place in the local log` };
  }
  const [record] = await store.log.read(topic, partition, offset - 1, 1);
  if (record === undefined || record.offset !== offset) {
    return {
      stored: 'none',
      why: `the local log ${topic} no longer holds partition ${partition} offset ${offset} (pruned)`,
    };
  }
  return { stored: 'log', raw: record.value, event: parsed(record.value) };
}

function parsed(raw: Bytes): unknown {
  const json = parsedJson(raw);
  return json === undefined ? null : json.value;
}
