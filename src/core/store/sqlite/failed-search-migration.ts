/**
 * The row of `failed_search` for an item (`r` is NEW or OLD). The payload is its bytes read as UTF-8 text
 * by SQLite (invalid sequences are read leniently, so a binary payload is found by its text parts, as the
 * search always did); plain SQL, so the triggers need no function registered on the connection that
 * writes (the writer thread, another agentctl, the sqlite3 shell).
 */
const row = (r: string) =>
  `VALUES (${r}.id, ${r}.error, ${r}.event_type, ${r}.event_id, CAST(${r}.raw AS TEXT))`;

const COLUMNS = 'failed_search (rowid, failure, type, event, payload)';

/**
 * Schema 10: `failed_search`, the FTS5 index behind `FailedFilter.search`, over every item whatever its
 * status (a status change, the hot path of replay, costs the index nothing).
 *
 * - Tokenizer `unicode61 remove_diacritics 2`: words, case and accents folded. Trigram (substring
 *   semantics) was measured on 1,000,000 items with ~300-byte payloads: its index is 3.4× the table
 *   (1.15 GB) and builds 5× slower (every parking pays that), against ~0.6× for words; a word index with
 *   the last word as a prefix answers what operators search for (ids, words of an error, values).
 * - Contentless (`content=''`) with `contentless_delete=1`: the index keeps no copy of the texts; rows are
 *   deleted by rowid, so the triggers need not know what was indexed.
 * - Kept by triggers: insert, delete (prune), and an update of the error, event type, event id or raw
 *   bytes (re-failures change the error; `failed edit` rewrites raw) when a value really changed.
 *
 * Self-contained: creates its own table and triggers and back-fills the items already parked.
 * (A `Migration` of `migrations.ts`, which lists it; typed there, so that neither file imports the other's.)
 */
export const FAILED_SEARCH_MIGRATION = {
  version: 10,
  name: 'failed messages: full-text search index',
  sql: `
    CREATE VIRTUAL TABLE failed_search USING fts5(
      failure, type, event, payload,
      content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TRIGGER failed_search_parked AFTER INSERT ON failed_messages BEGIN
      INSERT INTO ${COLUMNS} ${row('NEW')};
    END;
    CREATE TRIGGER failed_search_changed AFTER UPDATE OF error, event_type, event_id, raw ON failed_messages
    WHEN OLD.error IS NOT NEW.error OR OLD.event_type IS NOT NEW.event_type
      OR OLD.event_id IS NOT NEW.event_id OR OLD.raw IS NOT NEW.raw
    BEGIN
      DELETE FROM failed_search WHERE rowid = OLD.id;
      INSERT INTO ${COLUMNS} ${row('NEW')};
    END;
    CREATE TRIGGER failed_search_removed AFTER DELETE ON failed_messages BEGIN
      DELETE FROM failed_search WHERE rowid = OLD.id;
    END;
    INSERT INTO ${COLUMNS}
      SELECT id, error, event_type, event_id, CAST(raw AS TEXT) FROM failed_messages ORDER BY id;
  `,
};
