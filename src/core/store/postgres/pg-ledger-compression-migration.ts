/**
 * Schema 10: ledger batches (`run_ledger.runs`) are stored compressed with LZ4 (`STORAGE EXTENDED`,
 * `COMPRESSION lz4`) instead of uncompressed out of line (schema 9's `STORAGE EXTERNAL`). A flush's batch
 * of ~1,000 runs (~200 KB of JSON) then goes out as a fifth of the TOAST chunks and WAL, and LZ4 costs
 * less than the chunks it saves: about a tenth less server CPU per flush, where pglz had cost more than
 * it saved. Batches written before keep their form (a column's compression applies to values written
 * after). A server built without LZ4 (or older than 14) keeps schema 9's storage: the migration still
 * applies, with a notice. (A `PgMigration` of `pg-migrations.ts`, which lists it.)
 */
export const PG_LEDGER_COMPRESSION_MIGRATION = {
  version: 10,
  name: 'run ledger: batches compressed with LZ4',
  sql: (t: (name: string) => string) => `
    DO $migration$
    BEGIN
      ALTER TABLE ${t('run_ledger')}
        ALTER COLUMN runs SET COMPRESSION lz4, ALTER COLUMN runs SET STORAGE EXTENDED;
    EXCEPTION WHEN OTHERS THEN
      RAISE NOTICE 'agentctl: no LZ4 compression (%), ledger batches stay uncompressed', SQLERRM;
    END
    $migration$;
  `,
} as const;
