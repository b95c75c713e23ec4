import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ownedUtf8 } from '../../../src/core/store/sqlite/owned-bytes.js';
import { SqliteWriter } from '../../../src/core/store/sqlite/sqlite-writer.js';
import { tempDir } from '../../support/temp.js';

/** A fresh WAL-mode database file holding one table (`ddl`), with a writer thread on the same file. */
function walFile(ddl: string): { db: Database.Database; writer: SqliteWriter } {
  const path = join(tempDir(), 'writer.db');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(ddl);
  return { db, writer: new SqliteWriter({ path, busyTimeoutMs: 5_000, cacheKib: 1_024 }) };
}

describe('SqliteWriter: what crosses to the writer thread lands as it was given', () => {
  it('Given rows with a large text, bytes and small values, When written, Then each is stored intact and the caller’s rows are left as they were', async () => {
    // Given a table and a batch mixing a large text (sent as transferred bytes) with rows that cross as they are
    const { db, writer } = walFile('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT, data BLOB)');
    const large = `${'é'.repeat(20_000)}✓`;
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const rows = [
      [1, large, bytes],
      [2, 'small', null],
      [3, null, new Uint8Array([7])],
    ];
    const given = rows.map((row) => [...row]);

    // When the batch is written on the writer thread
    const changes = await writer.write({
      sql: ['INSERT INTO t (id, note, data) VALUES (?, ?, ?)'],
      rows: [rows],
    });
    await writer.close();

    // Then every row is stored as given, and the rows handed over were not changed
    expect(changes).toEqual([[1, 1, 1]]);
    const stored = db.prepare('SELECT id, note, data FROM t ORDER BY id').raw().all() as unknown[][];
    expect(stored[0]).toEqual([1, large, Buffer.from(bytes)]);
    expect(stored[1]).toEqual([2, 'small', null]);
    expect(stored[2]).toEqual([3, null, Buffer.from([7])]);
    expect(rows).toEqual(given);
    db.close();
  });
});

describe('SqliteWriter: bytes given up to the store (ownedUtf8) move to the thread', () => {
  it('Given owned UTF-8 bytes bound by two statements, When written, Then they cross once by transfer and are stored as the text they encode', async () => {
    // Given a batch whose two statements bind the same owned bytes, read as text by CAST
    const { db, writer } = walFile('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)');
    const text = `[${'"é✓",'.repeat(5_000)}"end"]`;
    const bytes = ownedUtf8(text);

    // When the batch is written on the writer thread
    const changes = await writer.write({
      sql: [
        'INSERT INTO t (id, note) VALUES (1, CAST(@note AS TEXT))',
        'INSERT INTO t (id, note) SELECT 2, json_array_length(CAST(? AS TEXT))',
      ],
      rows: [[{ note: bytes }], [[bytes]]],
    });
    await writer.close();

    // Then both rows see the text, and the caller's buffer moved (it reads as empty), not copied
    expect(changes).toEqual([[1], [1]]);
    const stored = db.prepare('SELECT note, typeof(note) FROM t ORDER BY id').raw().all() as unknown[][];
    expect(stored).toEqual([
      [text, 'text'],
      ['5001', 'text'],
    ]);
    expect(bytes.byteLength).toBe(0);
    db.close();
  });
});

describe('SqliteWriter.collect: a finished write is noticed without a turn of the event loop', () => {
  it('Given a write the thread has finished, When the caller collects while keeping the loop to microtasks, Then the write resolves', async () => {
    // Given a write handed to the writer thread
    const { db, writer } = walFile('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    let changes: number[][] | undefined;
    const written = writer.write({ sql: ['INSERT INTO t (id) VALUES (?)'], rows: [[[1], [2]]] });
    void written.then((c) => {
      changes = c;
    });

    // When the caller never gives the event loop a turn (only microtasks), collecting between rounds of
    // work — the thread replies whenever it is done (a bounded number of rounds: it starts a Node thread)
    const blocked = new Int32Array(new SharedArrayBuffer(4));
    for (let round = 0; round < 20_000 && changes === undefined; round++) {
      Atomics.wait(blocked, 0, 0, 1);
      writer.collect();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }

    // Then the write resolved with its changes, and nothing is left for the loop to deliver
    expect(changes).toEqual([[1, 1]]);
    expect(writer.collect()).toBe(0);
    await writer.close();
    db.close();
  });
});
