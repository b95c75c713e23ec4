import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { NotFoundError } from '../errors/not-found-error.js';
import { UsageError } from '../errors/usage-error.js';
import { parsedJson } from '../events/payload-text.js';
import type { Where } from '../filter/where.js';
import { redactSecrets } from '../redact.js';
import type { FailedFilter, FailedMessage, FailureAttempt } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';

/**
 * A failed-store item as JSON (`failed list --json`, `failed show --json`, `failed export`): every field of
 * the item except `raw`, which is `payload` (the text) when it is UTF-8 JSON, else `payloadBase64`. Times
 * are milliseconds since the epoch.
 */
export interface FailedItemJson extends Omit<FailedMessage, 'raw' | 'history'> {
  readonly history: readonly FailureAttempt[];
  readonly payload?: string;
  readonly payloadBase64?: string;
}

/** The JSON form of an item (see `FailedItemJson`); URI credentials in its texts (not its payload) redacted. */
export function failedItemJson(item: FailedMessage): FailedItemJson {
  const { raw, ...rest } = redactedFailed(item);
  const text = jsonText(raw);
  return text === undefined
    ? { ...rest, payloadBase64: Buffer.from(raw).toString('base64') }
    : { ...rest, payload: text };
}

/**
 * The item with URI credentials redacted from its texts (error, history, source, sink). The payload is
 * left exact: it is the event, not agentctl's text.
 */
export function redactedFailed(item: FailedMessage): FailedMessage {
  return {
    ...item,
    error: redactSecrets(item.error),
    source: redactSecrets(item.source),
    ...(item.sink === undefined ? {} : { sink: redactSecrets(item.sink) }),
    history: item.history.map((h) => ({ ...h, error: redactSecrets(h.error) })),
  };
}

function jsonText(raw: Uint8Array): string | undefined {
  return parsedJson(raw)?.text;
}

/** The item with this id, whatever its status. @throws NotFoundError */
export async function requireFailed(store: StateStore, id: number): Promise<FailedMessage> {
  const item = await store.failed.get(id);
  if (item === undefined) {
    throw new NotFoundError(`failed message ${id} not found`, { hint: 'agentctl failed list --status any' });
  }
  return item;
}

/** Checks that every id names an item, whatever its status. @throws NotFoundError naming the others. */
export async function requireFailedIds(store: StateStore, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  const found = new Set((await store.failed.list({ ids, status: 'any' })).map((item) => item.id));
  const missing = [...new Set(ids)].filter((id) => !found.has(id));
  if (missing.length > 0) {
    const which =
      missing.length === 1 ? `failed message ${missing[0]}` : `failed messages ${missing.join(', ')}`;
    throw new NotFoundError(`${which} not found`, { hint: 'agentctl failed list --status any' });
  }
}

/**
 * The items of `filter` that `where` (if given) matches, oldest first, at most `limit`. The store narrows
 * by the filter's fields; `where` is evaluated here, page by page, until `limit` items matched.
 */
export async function listFailed(
  store: StateStore,
  filter: FailedFilter,
  limit: number,
  where?: Where<FailedMessage>,
): Promise<FailedMessage[]> {
  if (where === undefined) return store.failed.list({ ...filter, limit });
  const matched: FailedMessage[] = [];
  if (limit <= 0) return matched;
  for await (const item of matchingFailed(store, filter, where)) {
    matched.push(item);
    if (matched.length >= limit) break;
  }
  return matched;
}

/** The items of `filter` (id order, a page at a time) that `where`, when given, matches. */
export async function* matchingFailed(
  store: StateStore,
  filter: FailedFilter,
  where?: Where<FailedMessage>,
): AsyncIterable<FailedMessage> {
  for await (const item of store.failed.iterate(filter))
    if (where === undefined || where.matches(item)) yield item;
}

/** What to discard: items by id, or every pending item (of a filter, of a `--where`). */
export type DiscardSelection =
  | { readonly ids: readonly number[] }
  | { readonly all: true; readonly filter?: FailedFilter; readonly where?: Where<FailedMessage> };

/**
 * The ids a discard would touch: the given ids (all must exist), or the pending items of the filter.
 * @throws NotFoundError for an id that does not exist.
 */
export async function discardTargets(store: StateStore, selection: DiscardSelection): Promise<number[]> {
  if ('ids' in selection) {
    await requireFailedIds(store, selection.ids);
    return [...new Set(selection.ids)];
  }
  const ids: number[] = [];
  for await (const item of matchingFailed(store, { ...selection.filter, status: 'pending' }, selection.where))
    ids.push(item.id);
  return ids;
}

/** Marks items discarded (kept in the store, never replayed); returns how many changed. */
export async function discardFailed(store: StateStore, ids: readonly number[]): Promise<number> {
  let changed = 0;
  for (let i = 0; i < ids.length; i += 1_000) {
    changed += await store.failed.setStatus(ids.slice(i, i + 1_000), 'discarded');
  }
  return changed;
}

export type ExportFormat = 'ndjson';

/**
 * Streams the items of `filter` (that `where`, if given, matches) to `out`, one `FailedItemJson` per line, in id order, a page at a time,
 * waiting for `out` to drain; returns how many were written. Does not end `out`.
 */
export async function exportFailed(
  store: StateStore,
  filter: FailedFilter,
  out: Writable,
  format: ExportFormat = 'ndjson',
  where?: Where<FailedMessage>,
): Promise<number> {
  if (format !== 'ndjson') throw new UsageError(`unknown export format "${String(format)}"`);
  let written = 0;
  for await (const item of matchingFailed(store, filter, where)) {
    if (!out.write(`${JSON.stringify(failedItemJson(item))}\n`)) await once(out, 'drain');
    written += 1;
  }
  return written;
}
