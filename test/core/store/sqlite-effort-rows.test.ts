import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PublishAttempt } from '../../../src/core/model/effort.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { WriteBatchBuilder } from '../../../src/core/store/sqlite/write-batch.js';
import { tempDir } from '../../support/temp.js';
import { anEffort } from './state-store-contract.js';

const EMPTY = { runs: [], ledger: [], efforts: [], parked: [] } as const;

async function openFresh() {
  const dir = tempDir('effort-rows-');
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'agent.db');
  const store = await openSqliteStore({ path });
  onTestFinished(() => store.close());
  return { store, path };
}

/** The attempt columns of an effort's row, read past the store. */
function attemptColumns(path: string, id: string) {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT initial_attempt, final_attempt, history FROM efforts WHERE id = ?').get(id);
  } finally {
    db.close();
  }
}

const attempt = (n: number, ok: boolean): PublishAttempt => ({
  attempt: n,
  at: 1_000 + n,
  durationMs: 2,
  ok,
});

describe('SqliteEffortStore rows', () => {
  it('Given an effort delivered at its first attempt, When flushed, Then its row holds that attempt once and it reads back whole', async () => {
    const { store, path } = await openFresh();
    const first = attempt(1, true);
    const effort = anEffort({ history: [first], initialAttempt: first, finalAttempt: first });

    await store.flush({ ...EMPTY, efforts: [effort] });

    expect(attemptColumns(path, effort.id)).toEqual({
      initial_attempt: '',
      final_attempt: '',
      history: JSON.stringify([first]),
    });
    expect(await store.efforts.get(effort.id)).toEqual(effort);
  });

  it('Given efforts whose first and last attempts are copies, or not the history ends, or absent, Then each reads back as written', async () => {
    const { store } = await openFresh();
    const [a, b, c] = [attempt(1, false), attempt(2, false), attempt(3, true)];
    const efforts = [
      // Read back from a store: equal attempts, not the same objects.
      anEffort({ history: [a, b, c], attempts: 3, initialAttempt: { ...a }, finalAttempt: { ...c } }),
      anEffort({ history: [a, b], attempts: 2, culmination: 'pending', initialAttempt: a }),
      anEffort({ history: [a, c], attempts: 2, initialAttempt: b, finalAttempt: b }),
      anEffort({ history: [], attempts: 0, culmination: 'parked' }),
      anEffort({ history: [c], initialAttempt: c }),
    ];

    await store.flush({ ...EMPTY, efforts });

    for (const effort of efforts) expect(await store.efforts.get(effort.id)).toEqual(effort);
  });
});

describe('SqliteEffortStore batch order', () => {
  it('Given efforts of runs in no order, When added to a write batch, Then their rows go in run-id order (those without a run first)', async () => {
    const { store } = await openFresh();
    const efforts = [
      anEffort({ runId: 'run-c' }),
      anEffort({ runId: 'run-a' }),
      anEffort(),
      anEffort({ runId: 'run-b' }),
    ];
    const batch = new WriteBatchBuilder();

    store.efforts.addWrites(batch, efforts);

    const rows = batch.build().rows[0] as unknown[][];
    expect(rows.map((row) => row[3])).toEqual([null, 'run-a', 'run-b', 'run-c']);
  });
});
