import { isUtf8 } from 'node:buffer';
import { editsOf } from '../../core/ops/failed-edit/item-edits.js';
import type { FailedMessage } from '../../core/store/records.js';
import { age, count, timestamp, truncate } from './format.js';
import { printable } from './printable.js';
import { renderTable } from './table.js';

function ruleOf(item: FailedMessage): string {
  if (item.rule !== undefined && item.process !== undefined) return `${item.rule}/${item.process}`;
  return item.rule ?? item.process ?? (item.sink === undefined ? '-' : `→ ${item.sink}`);
}

function eventOf(item: FailedMessage): string {
  if (item.eventType === undefined && item.eventId === undefined) return '-';
  return `${item.eventType ?? '?'}/${item.eventId ?? '?'}`;
}

/** The `failed list` table, oldest item first; `limit` (when reached) adds a hint that more may match. */
export function renderFailedTable(items: readonly FailedMessage[], limit?: number, now = Date.now()): string {
  const table = renderTable<FailedMessage>(
    [
      { header: 'ID', value: (i) => String(i.id), align: 'right' },
      { header: 'REASON', value: (i) => i.reason },
      { header: 'RULE/PROCESS', value: (i) => truncate(ruleOf(i), 32) },
      { header: 'EVENT', value: (i) => truncate(eventOf(i), 40) },
      { header: 'ATTEMPTS', value: (i) => count(i.attempts), align: 'right' },
      { header: 'LAST FAILURE', value: (i) => age(i.lastFailedAt, now) },
      { header: 'ERROR', value: (i) => truncate(i.error.replace(/\s+/g, ' '), 60) },
    ],
    items,
    'no failed messages match',
  );
  return items.length === limit ? `${table}\n(first ${count(limit)} shown: raise --limit for more)` : table;
}

/** The payload for a human: pretty JSON, else the text, else base64; controls escaped (`failed show --raw` has the bytes). */
export function renderPayload(raw: Uint8Array): string {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (!isUtf8(bytes))
    return `(${count(bytes.byteLength)} bytes, not UTF-8; base64)\n${bytes.toString('base64')}`;
  const text = bytes.toString('utf8');
  try {
    return printable(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    return printable(text);
  }
}

/**
 * `failed show`: every field, the failure history, the payload. An edited item says so (its last edit:
 * when, by whom, how many); with `original`, `item.raw` is the payload as parked, and titled so.
 */
export function renderFailedItem(
  item: FailedMessage,
  now = Date.now(),
  options: { readonly original?: boolean } = {},
): string {
  const edits = editsOf(item);
  const lastEdit = edits.at(-1);
  const fields: [string, string | number | undefined][] = [
    ['id', item.id],
    [
      'status',
      item.status + (item.replayedAt === undefined ? '' : ` (replayed ${timestamp(item.replayedAt)})`),
    ],
    ['reason', `${item.reason} (${item.kind})`],
    ['error', item.errorName === undefined ? item.error : `${item.errorName}: ${item.error}`],
    ['attempts', item.attempts],
    ['first failed', `${timestamp(item.firstFailedAt)} (${age(item.firstFailedAt, now)})`],
    ['last failed', `${timestamp(item.lastFailedAt)} (${age(item.lastFailedAt, now)})`],
    ['agent', item.group],
    ['source', `${item.source || '-'}  partition ${item.partition || '-'} @ ${item.position || '-'}`],
    ['rule', item.rule],
    ['process', item.process],
    ['run', item.runId],
    ['event', item.eventId === undefined ? undefined : `${item.eventType ?? '?'} ${item.eventId}`],
    ['sink', item.sink],
    ['record key', item.recordKey],
    ['headers', item.headers === undefined ? undefined : JSON.stringify(item.headers)],
    ['timestamp', timestamp(item.timestamp)],
    ['key', item.key],
    [
      'edited',
      lastEdit === undefined
        ? undefined
        : `${timestamp(lastEdit.at)} by ${lastEdit.by ?? '?'}${edits.length > 1 ? ` (${edits.length} edits)` : ''}; the original: failed show ${item.id} --original`,
    ],
  ];
  const width = Math.max(...fields.map(([name]) => name.length)) + 2;
  const lines = fields
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${`${name}:`.padEnd(width)}${printable(String(value))}`);
  const history = item.history.map(
    (h, n) =>
      `  ${String(n + 1).padStart(3)}  ${timestamp(h.at)}  ${h.via.padEnd(8)} ${printable(h.to === undefined ? h.error : `redriven to ${h.to}`)}`,
  );
  return [
    ...lines,
    '',
    `history (${item.history.length}):`,
    ...history,
    '',
    options.original
      ? `original payload, as parked (${count(item.raw.byteLength)} bytes${lastEdit === undefined ? ', never edited' : ''}):`
      : `payload (${count(item.raw.byteLength)} bytes${lastEdit === undefined ? '' : ', edited'}):`,
    renderPayload(item.raw),
  ].join('\n');
}

export function renderDiscardQuestion(items: number): string {
  return `discard ${count(items)} failed item${items === 1 ? '' : 's'}?`;
}

export function renderDiscarded(changed: number, asked: number): string {
  const unchanged = asked - changed;
  return `discarded ${count(changed)} item${changed === 1 ? '' : 's'}${unchanged > 0 ? ` (${count(unchanged)} already discarded)` : ''}`;
}

export function renderExported(written: number, target: string): string {
  return `exported ${count(written)} item${written === 1 ? '' : 's'} to ${target}`;
}
