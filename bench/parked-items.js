// A failed store of many parked items, written by SQL in one statement: shared by the `failed-search`
// bench scenario and its CI-sized test (test/commands/failed-search-large.test.ts), so that both
// measure and check the same store. No import of dist/: the test runs it from source.
import Database from 'better-sqlite3';

/**
 * Adds `count` pending parked items to the store file at `path` (created by the real migrations, closed),
 * in one transaction; the search index's triggers index each one as parking does. Item N (1…count):
 * event `ev-N` of type `order.created`, error `timeout calling shipping-(N mod 50)`, a CloudEvent payload
 * naming customer `cust-(N mod 9973)`; its id is N in an empty store.
 */
export function insertParkedItems(path, count) {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = DELETE');
    db.pragma('synchronous = OFF');
    // The items, then their payloads (schema 11 keeps them in `failed_payloads`; the search index's row
    // of an item is made when its payload arrives, as parking does).
    db.prepare(
      `INSERT INTO failed_messages (key, group_name, source, partition, position, reason, kind, error,
        event_id, event_type, attempts, timestamp, status, first_failed_at, last_failed_at, history)
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
      SELECT 'k-' || i, 'orders', 'local:orders', '0', i, 'process', 'event',
        'timeout calling shipping-' || (i % 50), 'ev-' || i, 'order.created', 1,
        1000, 'pending', 1000 + i, 1000 + i, '[]'
      FROM n`,
    ).run({ count });
    db.prepare(
      `INSERT INTO failed_payloads (id, raw)
      SELECT id, CAST('{"specversion":"1.0","id":"' || event_id || '","type":"order.created","data":{"customer":"cust-' ||
          (CAST(position AS INTEGER) % 9973) || '"}}' AS BLOB)
      FROM failed_messages WHERE key LIKE 'k-%' ORDER BY id`,
    ).run();
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
}
