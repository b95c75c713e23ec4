import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';
import { aParked } from './state-store-contract.js';

const EMPTY = { runs: [], ledger: [], efforts: [], parked: [] } as const;

async function openFresh() {
  const dir = tempDir('failed-indexes-');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'agent.db');
  const store = await openSqliteStore({ path });
  onTestFinished(() => store.close());
  return { store, path };
}

/** The SQL texts the store prepares while `work` runs. */
async function preparedDuring(work: () => Promise<unknown>): Promise<string[]> {
  const prepare = vi.spyOn(Database.prototype, 'prepare');
  try {
    await work();
    return prepare.mock.calls.map(([sql]) => sql);
  } finally {
    prepare.mockRestore();
  }
}

/** The query plan of `sql` on the store file (named parameters bound to `params`), as one line. */
function planOf(path: string, sql: string, params: Record<string, unknown>): string {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[];
    return rows.map((row) => row.detail).join(' | ');
  } finally {
    db.close();
  }
}

describe('SqliteFailedStore indexes', () => {
  it("Given a group's pending items, When paged and counted by reason, Then both go through the pending-only indexes", async () => {
    const { store, path } = await openFresh();
    await store.flush({ ...EMPTY, parked: [aParked(), aParked({ group: 'billing' })] });

    const listed = await preparedDuring(() => store.failed.list({ group: 'orders', afterId: 0, limit: 10 }));
    const counted = await preparedDuring(() => store.failed.countByReason('orders'));

    const list = listed.find((sql) => sql.includes('FROM failed_messages'));
    const count = counted.find((sql) => sql.includes('GROUP BY reason'));
    expect(planOf(path, list!, { group: 'orders', afterId: 0, limit: 10 })).toContain(
      'INDEX failed_messages_pending_id',
    );
    expect(planOf(path, count!, { group: 'orders' })).toContain(
      'COVERING INDEX failed_messages_pending_reason',
    );
  });

  it('Given items replayed and set back, Then lists and counts by group and status follow every change', async () => {
    const { store } = await openFresh();
    await store.flush({
      ...EMPTY,
      parked: [
        aParked(),
        aParked({ reason: 'publish', kind: 'record' }),
        aParked(),
        aParked({ group: 'billing' }),
      ],
    });
    const [a, b, c, d] = (await store.failed.list({ status: 'any' })).map((item) => item.id);

    await store.flush({ ...EMPTY, replayed: [a!, b!, d!] });
    await store.failed.setStatus([a!], 'pending');

    const ids = async (filter: Parameters<typeof store.failed.list>[0]) =>
      (await store.failed.list(filter)).map((item) => item.id);
    expect(await ids({ group: 'orders' })).toEqual([a, c]);
    expect(await ids({ group: 'orders', status: 'replayed' })).toEqual([b]);
    expect(await ids({ group: 'billing', status: 'replayed' })).toEqual([d]);
    expect(await ids({})).toEqual([a, c]);
    expect(await store.failed.countByReason('orders')).toEqual({ process: 2 });
    expect(await store.failed.countByReason()).toEqual({ process: 2 });
    expect(await store.failed.count({ group: 'orders', status: 'replayed' })).toBe(1);
    expect(await store.failed.count({ group: 'billing' })).toBe(0);
  });
});
