/**
 * Schema 7: the checkpoint history, one row per executed operator move (see `CheckpointStore.move`).
 * Self-contained: it only creates its own table and index, whatever other migrations come before or
 * after it. (A `Migration` of `migrations.ts`, which lists it.)
 */
export const CHECKPOINT_HISTORY_MIGRATION = {
  version: 7,
  name: 'checkpoint history',
  sql: `
    CREATE TABLE IF NOT EXISTS checkpoint_history (
      id         INTEGER PRIMARY KEY AUTOINCREMENT,
      group_name TEXT NOT NULL,
      source     TEXT NOT NULL,
      partition  TEXT NOT NULL,
      before     TEXT,
      after      TEXT,
      actor      TEXT NOT NULL,
      command    TEXT NOT NULL,
      reason     TEXT,
      at         INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS checkpoint_history_group ON checkpoint_history (group_name, source, id);
  `,
} as const;
