/** The columns of `failed_search` (see the schema-10 migration, `failed-search-migration.ts`). */
const COLUMNS = 'failed_search (rowid, failure, type, event, payload)';

/** An item's row of `failed_search`: its fields from `item`, its payload `payload`, read `from` … `where`. */
const indexed = (item: string, payload: string, from: string, where: string) =>
  `INSERT INTO ${COLUMNS} SELECT ${item}.id, ${item}.error, ${item}.event_type, ${item}.event_id, ` +
  `CAST(${payload} AS TEXT) FROM ${from} WHERE ${where};`;
/** The row of the item whose payload is `NEW` (inserted or edited). */
const ofPayload = indexed('m', 'NEW.raw', 'failed_messages m', 'm.id = NEW.id');

/**
 * Schema 11: an item's payload moves out of `failed_messages` into `failed_payloads` (same id). Changing
 * an item's status, attempts or history — what replay does to every item it takes — rewrote its whole
 * row, payload included: with 4 KB payloads the status update and its commit were ~30 of ~85 µs of the
 * store's writing per replayed item (the record's own append to its sink ~40), against ~5 with 80 bytes.
 * The row it rewrites now holds the item's fields only; the payload is written when the item is first
 * parked, and again only by `failed edit`.
 *
 * The search index follows: an item's row in `failed_search` is made when its payload arrives (parking
 * writes the item first, then its payload), made again when its error, event type or event id changes
 * or its payload is edited, and deleted with the item, which deletes its payload.
 *
 * Self-contained: creates its table and triggers, moves the payloads, drops the column (SQLite ≥ 3.35).
 * (A `Migration` of `migrations.ts`, which lists it; typed there, so that neither file imports the other's.)
 */
export const FAILED_PAYLOADS_MIGRATION = {
  version: 11,
  name: 'failed messages: payloads in a table of their own',
  sql: `
    CREATE TABLE failed_payloads (
      id  INTEGER PRIMARY KEY,
      raw BLOB NOT NULL
    );
    INSERT INTO failed_payloads (id, raw) SELECT id, raw FROM failed_messages ORDER BY id;
    DROP TRIGGER IF EXISTS failed_search_parked;
    DROP TRIGGER IF EXISTS failed_search_changed;
    DROP TRIGGER IF EXISTS failed_search_removed;
    ALTER TABLE failed_messages DROP COLUMN raw;

    CREATE TRIGGER failed_search_parked AFTER INSERT ON failed_payloads BEGIN
      ${ofPayload}
    END;
    CREATE TRIGGER failed_search_changed AFTER UPDATE OF error, event_type, event_id ON failed_messages
    WHEN OLD.error IS NOT NEW.error OR OLD.event_type IS NOT NEW.event_type OR OLD.event_id IS NOT NEW.event_id
    BEGIN
      DELETE FROM failed_search WHERE rowid = OLD.id;
      ${indexed('NEW', 'p.raw', 'failed_payloads p', 'p.id = NEW.id')}
    END;
    CREATE TRIGGER failed_search_edited AFTER UPDATE OF raw ON failed_payloads WHEN OLD.raw IS NOT NEW.raw
    BEGIN
      DELETE FROM failed_search WHERE rowid = OLD.id;
      ${ofPayload}
    END;
    CREATE TRIGGER failed_search_removed AFTER DELETE ON failed_messages BEGIN
      DELETE FROM failed_search WHERE rowid = OLD.id;
      DELETE FROM failed_payloads WHERE id = OLD.id;
    END;
  `,
};
