import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { applyWriteBatch, WriteBatchBuilder } from '../../../src/core/store/sqlite/write-batch.js';

function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  onTestFinished(() => {
    db.close();
  });
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)');
  return db;
}

const INSERT_IF_NEW = 'INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)';
const OVERWRITE = 'INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)';

describe('WriteBatchBuilder and applyWriteBatch', () => {
  it('Given rows that fall back on an earlier row (unless), When applied, Then each runs only where that row changed nothing', () => {
    const db = memoryDb();
    db.prepare("INSERT INTO t VALUES ('b', 'old')").run();
    const batch = new WriteBatchBuilder();
    const a = batch.add(INSERT_IF_NEW, ['a', 'new']);
    const b = batch.add(INSERT_IF_NEW, ['b', 'new']);
    batch.add(OVERWRITE, ['a', 'fallback'], a);
    batch.add(OVERWRITE, ['b', 'fallback'], b);
    batch.add(OVERWRITE, ['c', 'always']);

    const changes = db.transaction(() => applyWriteBatch((sql) => db.prepare(sql) as never, batch.build()))();

    expect(changes).toEqual([
      [1, 0],
      [0, 1, 1],
    ]);
    expect(db.prepare('SELECT k, v FROM t ORDER BY k').raw().all()).toEqual([
      ['a', 'new'],
      ['b', 'fallback'],
      ['c', 'always'],
    ]);
  });

  it('Given a fallback naming a row of a statement added after its own, Then the builder refuses it', () => {
    const batch = new WriteBatchBuilder();
    const first = batch.add(OVERWRITE, ['x', '1']);
    expect(() => batch.add(OVERWRITE, ['y', '2'], first)).toThrow(/earlier statement/);
  });
});
