import type { FailedMessage, FailureAttempt, NewFailedMessage } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import { EDIT_VIA, originalBytes } from '../failed-edit/item-edits.js';
import { EMPTY_BATCH, PAGE, type Tally } from './copy-kinds.js';

/**
 * Copies the failed store, every status, with history, attempts and first/last failure times. An item
 * is known by its key: a missing one is parked as at its first failure (with its original bytes) and its
 * later failures and edits are added;
 * one the target has is completed when its history is a prefix of the source's (a copy cut short), and
 * otherwise left as the target's own. A copy gets a new id; a `replayed` item's `replayedAt` is the time
 * of the copy.
 */
interface TargetItem {
  readonly id: number;
  readonly status: FailedMessage['status'];
  readonly history: readonly FailureAttempt[];
}

export async function copyFailed(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  const known = new Map<string, TargetItem>();
  let lastId = 0;
  for await (const item of to.failed.iterate({ status: 'any' }, PAGE)) {
    known.set(item.key, { id: item.id, status: item.status, history: item.history });
    lastId = Math.max(lastId, item.id);
  }
  let page: FailedMessage[] = [];
  const flushPage = async () => {
    const fresh = new Set(page.filter((item) => !known.has(item.key)));
    if (fresh.size > 0) {
      await to.flush({ ...EMPTY_BATCH, parked: [...fresh].map(firstParking) });
      for (const item of await to.failed.list({ status: 'any', afterId: lastId })) {
        known.set(item.key, { id: item.id, status: item.status, history: item.history });
        lastId = Math.max(lastId, item.id);
      }
    }
    let skipped = 0;
    for (const item of page) {
      const target = known.get(item.key)!;
      const completed = await complete(to, item, target);
      if (!completed && !fresh.has(item)) skipped++;
    }
    tally('failed', page.length - skipped, skipped);
    page = [];
  };
  for await (const item of from.failed.iterate({ status: 'any' }, PAGE)) {
    page.push(item);
    if (page.length === PAGE) await flushPage();
  }
  if (page.length > 0) await flushPage();
}

/** The parking that creates an item as it was at its first failure (later failures are added after). */
function firstParking(item: FailedMessage): NewFailedMessage {
  const {
    id: _id,
    status: _status,
    firstFailedAt,
    lastFailedAt: _last,
    history,
    replayedAt: _r,
    ...fields
  } = item;
  const first = history[0];
  const later = history.slice(1).filter((entry) => entry.via !== EDIT_VIA).length;
  return {
    ...fields,
    raw: originalBytes(item),
    attempts: Math.max(0, item.attempts - later),
    error: later === 0 ? item.error : (first?.error ?? item.error),
    failedAt: first?.at ?? firstFailedAt,
    via: first?.via ?? 'consume',
  };
}

/**
 * Brings a target item that is a copy in progress (its history a prefix of the source's) up to the
 * source: the failures it lacks, then the status. An item whose history went its own way is the
 * target's own and is left alone. Returns whether anything was written.
 */
async function complete(to: StateStore, item: FailedMessage, target: TargetItem): Promise<boolean> {
  const prefix =
    target.history.length <= item.history.length &&
    target.history.every((a, i) => {
      const b = item.history[i]!;
      return a.at === b.at && a.error === b.error && a.via === b.via;
    });
  if (!prefix) return false;
  let wrote = false;
  for (let i = target.history.length; i < item.history.length; i++) {
    const entry = item.history[i]!;
    if (entry.via === EDIT_VIA && entry.previousBase64 !== undefined) {
      // The bytes after this edit: what the next edit replaced, else the item's bytes now.
      const next = item.history
        .slice(i + 1)
        .find((e) => e.via === EDIT_VIA && e.previousBase64 !== undefined);
      const raw = next === undefined ? item.raw : Buffer.from(next.previousBase64!, 'base64');
      await to.failed.edit(target.id, Buffer.from(entry.previousBase64, 'base64'), { raw, entry });
    } else {
      await to.failed.recordFailure(target.id, entry);
    }
    wrote = true;
  }
  if (item.status !== target.status && target.status === 'pending') {
    await to.failed.setStatus([target.id], item.status);
    wrote = true;
  }
  return wrote;
}
