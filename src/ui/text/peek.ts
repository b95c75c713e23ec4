import type { PartitionPeek } from '../../core/console/partition-peek.js';
import type { PeekedRecord } from '../../core/ops/peek/peek.js';
import { timestamp, truncate } from './format.js';
import { printable } from './printable.js';

/** Widest compact body on a line when the terminal width is unknown. */
const BODY_WIDTH = 120;

/**
 * One line per record for people: partition, position, arrival time, type, subject and a compact body
 * (`data` as JSON, cut in the middle when long); a record that did not decode shows `✗` and the reason,
 * then its first bytes as text. With `--around-checkpoint`, `✓` marks records at or before the
 * checkpoint and `▶` the first one not done. Sender text passes through `printable`.
 */
export function renderPeekLine(record: PeekedRecord, width = BODY_WIDTH): string {
  const mark = record.next ? '▶ ' : record.done === true ? '✓ ' : record.done === false ? '  ' : '';
  const where = `${mark}${record.partition} ${record.position}  ${timestamp(record.timestamp)}`;
  if (record.event === undefined) {
    const text = Buffer.from(record.raw.buffer, record.raw.byteOffset, record.raw.byteLength).toString(
      'utf8',
    );
    return printable(`${where}  ✗ ${record.error ?? 'not an event'}  ${truncate(text, 60)}`);
  }
  const { type, subject, data } = record.event;
  const body = data === undefined ? '' : JSON.stringify(data);
  return printable(
    `${where}  ${type}${subject === undefined ? '' : `  ${subject}`}  ${truncate(body, width)}`,
  );
}

/**
 * One NDJSON line of `--json`: `partition`, `position`, `timestamp` (ms), `key` when there is one, and
 * `event`, or `raw` (the bytes in base64) with `error` for a record that did not decode; `done`/`next`
 * with `--around-checkpoint`. `agentctl publish --file -` reads these lines back as their events.
 */
export function peekJson(record: PeekedRecord): Record<string, unknown> {
  return {
    partition: record.partition,
    position: record.position,
    timestamp: record.timestamp,
    ...(record.key === undefined ? {} : { key: record.key }),
    ...(record.done === undefined ? {} : { done: record.done }),
    ...(record.next ? { next: true } : {}),
    ...(record.event === undefined
      ? { raw: Buffer.from(record.raw).toString('base64'), error: record.error ?? 'not an event' }
      : { event: record.event }),
  };
}

/** The stderr line after a peek: how many records, and what to try when there were none. */
export function renderPeekSummary(shown: number, source: string, follow: boolean): string {
  if (shown > 0) return `${shown} ${shown === 1 ? 'record' : 'records'} of ${source}`;
  return follow
    ? `no records of ${source}`
    : `no records of ${source} from there: try --from earliest, a wider --to, or --follow to wait for new ones`;
}

/**
 * The console's peek around one partition's checkpoint (`p`): where it read, the checkpoint, the records
 * as `peek --around-checkpoint` prints them (`✓` done, `▶` the first not done), and the command that
 * prints the same. Sender text passes through `printable` (in `renderPeekLine`).
 */
export function partitionPeekLines(peeked: PartitionPeek): string[] {
  const { ref, source, checkpoint, around, records } = peeked;
  const head = [
    `source:      ${source}  (group ${ref.group})`,
    `partition:   ${ref.partition}`,
    `checkpoint:  ${checkpoint ?? 'none (the group has not committed here: read from the earliest)'}`,
    'marks:       ✓ done (at or before the checkpoint)  ▶ the first not done',
    '',
  ];
  const body =
    records.length > 0
      ? records.map((r) => renderPeekLine(r))
      : [
          checkpoint === undefined
            ? 'no records in this partition'
            : 'no records around the checkpoint (the partition was read to its end, or trimmed)',
        ];
  const next = records.some((r) => r.next)
    ? []
    : records.length > 0
      ? ['(nothing after the checkpoint yet)']
      : [];
  return [
    ...head,
    ...body,
    ...next,
    '',
    `read only: nothing was committed, leased or acked. The same in a shell:`,
    `  agentctl peek ${source} --around-checkpoint -B ${around.before} -A ${around.after} --partition ${ref.partition} --agent ${ref.group}`,
  ];
}
