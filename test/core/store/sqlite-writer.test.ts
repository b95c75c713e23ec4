import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { pooledUtf8 } from '../../../src/core/store/pooled-utf8.js';
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

describe('SqliteWriter: pooled UTF-8 bytes (pooledUtf8) cross shared and are reused once written', () => {
  it('Given pooled bytes bound by two statements, When written, Then both read the text they encode', async () => {
    // Given a batch whose two statements bind the same pooled bytes, read as text by CAST
    const { db, writer } = walFile('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)');
    const text = `[${'"é✓",'.repeat(5_000)}"end"]`;
    const bytes = pooledUtf8(text);

    // When the batch is written on the writer thread
    const changes = await writer.write({
      sql: [
        'INSERT INTO t (id, note) VALUES (1, CAST(@note AS TEXT))',
        'INSERT INTO t (id, note) SELECT 2, json_array_length(CAST(? AS TEXT))',
      ],
      rows: [[{ note: bytes }], [[bytes]]],
    });
    await writer.close();

    // Then both rows see the text, stored as text
    expect(changes).toEqual([[1], [1]]);
    const stored = db.prepare('SELECT note, typeof(note) FROM t ORDER BY id').raw().all() as unknown[][];
    expect(stored).toEqual([
      [text, 'text'],
      ['5001', 'text'],
    ]);
    db.close();
  });

  it('Given writes in flight at once and one after the other, When each binds pooled bytes, Then no write reads another’s text and a settled write’s buffer is reused', async () => {
    // Given two writes handed over before either settles, each with pooled bytes of its own
    const { db, writer } = walFile('CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT)');
    const texts = ['a', 'b', 'c'].map((c) => c.repeat(30_000));
    const insert = 'INSERT INTO t (id, note) VALUES (?, CAST(? AS TEXT))';
    const first = pooledUtf8(texts[0]!);
    const one = writer.write({ sql: [insert], rows: [[[1, first]]] });
    const second = pooledUtf8(texts[1]!);
    const both = [one, writer.write({ sql: [insert], rows: [[[2, second]]] })];

    // When both settled, and a third text is encoded and written after them
    await Promise.all(both);
    const third = pooledUtf8(texts[2]!);
    await writer.write({ sql: [insert], rows: [[[3, third]]] });
    await writer.close();

    // Then the lent buffers were distinct, the third reuses a settled one, and every row holds its own text
    expect(first.buffer).not.toBe(second.buffer);
    expect([first.buffer, second.buffer]).toContain(third.buffer);
    const stored = db.prepare('SELECT note FROM t ORDER BY id').pluck().all();
    expect(stored).toEqual(texts);
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
