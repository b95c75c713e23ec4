import type { RunRecord } from '../../model/run-record.js';
import { pooledJsonArrays, releasePooledUtf8 } from '../pooled-utf8.js';
import {
  entryRun,
  LatestLedgerRuns,
  type LedgerBatchRow,
  type LedgerEntryRow,
  type LedgerKind,
  latest,
  ledgerBatchRuns,
  ledgerKinds,
} from '../rows/ledger-batch.js';
import { ENTRY_FINISHED } from '../rows/ledger-codec.js';
import type { RunFilter } from '../state-store.js';
import { jsonParam, type PgConnection, textListSql, textLists } from './pg-connection.js';

/** Batches `list` reads per query while it looks for the latest runs. */
const LIST_PAGE = 64;

/**
 * Between the entries' JSON of two kinds in their text parameter (split on the server with
 * `string_to_array`): the record separator, which JSON text never holds raw (it escapes control
 * characters). One text instead of an array of texts spares escaping the JSON for an array literal.
 */
const KIND_SEPARATOR = '\x1e';

/** JSON's escape of the NUL character, which PostgreSQL text cannot hold (see `jsonParam`). */
const NUL_ESCAPE = Buffer.from('\\u0000');

/** A ledger entry's finish time in SQL (`r` being the entry), as `float8`. */
const FINISHED = (r: string) => `(${r}->>${ENTRY_FINISHED})::float8`;

/** The constraint a flush's plain insert of a key already stored violates (see `PgRunLedger`). */
export const LEDGER_KEY = 'run_ledger_events_pkey';

/** What a flush's insert of a ledger key already stored does: fail the statement, or skip the run. */
export type StoredKey = 'fail' | 'skip';

/**
 * The ledger (plain successes, see `JournalBatch.ledger`) since schema 9, as SQLite's since schema 6 (see
 * `SqliteRunLedger`): one `run_ledger` row per batch — the runs of one group and process that one flush
 * wrote — holding its runs as a JSON array of `LedgerEntry`, with their count and finish-time bounds in
 * columns; and `run_ledger_events`, (event id, run id) → batch. The batch row is one heap tuple per flush
 * instead of one per run with two index entries; what is left per run is one narrow key. Keyed by event
 * id first for the reason of schema 4 (see `PgRunStore`): flushes append near the end of the key.
 *
 * That key is also what keeps a run stored once when two agents flush it at once: the flush inserts the
 * keys first and writes into the batch only the runs whose key it inserted. A flush first tries plain
 * inserts (`ctes(first, 'fail')`): a key already stored fails it with a unique violation and nothing
 * of it is written; the flush is then made again with `ON CONFLICT DO NOTHING` (`'skip'`, which waits
 * for another flush's commit). Keys already stored are rare (two agents racing on a partition, a flush
 * retried after its commit went through), and the speculative insertion that `ON CONFLICT` makes of
 * every key measured a quarter of the server's CPU per flush. Lookups by (run id, event id) read the
 * key alone. Bounds are kept tight: a batch rewritten (a rerun removed, prune) gets its count and bounds
 * again; one left empty goes.
 */
export class PgRunLedger {
  private readonly ledger: string;
  private readonly events: string;

  constructor(private readonly connection: PgConnection) {
    this.ledger = connection.table('run_ledger');
    this.events = connection.table('run_ledger_events');
  }

  /**
   * The common table expressions of a flush that write the ledger runs given as the ten
   * parameters from `$first` on (see `params`): per kind (group, process) its entries' JSON as the client
   * wrote it, their count and finish-time bounds; per run its event id, id and kind. The keys go in first
   * (in the key's order, "C" whatever the database's collation: concurrent flushes lock them in one
   * order, and the sort compares bytes rather than calling the locale); a batch whose keys all went in is
   * written as it came — no JSON parsed per run on the server, which measured a quarter of the flush —
   * and one that met runs already stored keeps only its new entries (their bounds computed again).
   * `stored` says what a key already stored does: `fail` the statement (unique violation on
   * `LEDGER_KEY`), or `skip` the run.
   *
   * With `fail`, a statement that completes inserted every key, so each batch is written from its
   * parameters alone: the keys are not returned, counted and joined back (measured a tenth of the
   * server's CPU per flush of 1,000 runs). Entries of a single kind (the usual flush: one group, one
   * process) are taken whole, not split on the separator: a scan and a copy of ~200 KB less.
   */
  ctes(first: number, stored: StoredKey): string {
    const $ = (i: number) => `$${first + i}`;
    const keys = `
        INSERT INTO ${this.events} (event_id, id, batch)
        SELECT x.event_id, x.id, k.seq
        FROM unnest(${textListSql($(6), $(9))}, ${textListSql($(7), $(9))}, ${$(8)}::int[])
          AS x(event_id, id, kind)
        JOIN ledger_k k ON k.kind = x.kind ORDER BY x.event_id COLLATE "C", x.id COLLATE "C"`;
    const runs = `CASE WHEN cardinality(${$(0)}::text[]) = 1 THEN ARRAY[${$(2)}::text]
          ELSE string_to_array(${$(2)}::text, chr(30)) END`;
    const batches = `
      ledger_k AS (
        SELECT k.*, nextval('${this.connection.table('run_ledger_batch')}') AS seq
        FROM unnest(${$(0)}::text[], ${$(1)}::text[], ${runs}, ${$(3)}::int[],
          ${$(4)}::float8[], ${$(5)}::float8[]) WITH ORDINALITY AS k(group_name, process, runs, n, first, last, kind))`;
    if (stored === 'fail') {
      return `${batches},
      ledger_i AS (${keys}),
      ledger_w AS (
        INSERT INTO ${this.ledger} (seq, group_name, process, count, first_finished, last_finished, runs)
        SELECT seq, group_name, process, n, first::bigint, last::bigint, runs::json FROM ledger_k)`;
    }
    return `${batches},
      ledger_i AS (${keys}
        ON CONFLICT (event_id, id) DO NOTHING RETURNING id, batch),
      ledger_c AS (SELECT batch, count(*) AS n FROM ledger_i GROUP BY batch),
      ledger_w AS (
        INSERT INTO ${this.ledger} (seq, group_name, process, count, first_finished, last_finished, runs)
        SELECT k.seq, k.group_name, k.process, c.n, w.first::bigint, w.last::bigint, w.runs
        FROM ledger_k k JOIN ledger_c c ON c.batch = k.seq CROSS JOIN LATERAL (
          SELECT k.runs::json AS runs, k.first, k.last WHERE c.n = k.n
          UNION ALL
          SELECT json_agg(r ORDER BY o), min(${FINISHED('r')}), max(${FINISHED('r')})
          FROM json_array_elements(k.runs::json) WITH ORDINALITY AS x(r, o)
          WHERE c.n < k.n AND r->>0 IN (SELECT i.id FROM ledger_i i WHERE i.batch = k.seq)
          HAVING count(*) > 0) w)`;
  }

  /**
   * The parameters of `ctes` for these plain successes, each run id once. The entries' JSON is UTF-8
   * bytes in a pooled buffer (see `entriesParam`): hand it back with `releasePooledUtf8` once the
   * statement settled.
   */
  static params(runs: readonly RunRecord[]): unknown[] {
    const kinds = ledgerKinds(runs, true);
    const eventIds: string[] = [];
    const ids: string[] = [];
    const kindOf: number[] = [];
    kinds.forEach((kind, k) => {
      for (const entry of kind.entries) {
        ids.push(entry[0]);
        eventIds.push(entry[1]);
        kindOf.push(k + 1);
      }
    });
    const bounds = kinds.map((kind) => {
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const entry of kind.entries) {
        const finished = entry[ENTRY_FINISHED] as number;
        if (finished < first) first = finished;
        if (finished > last) last = finished;
      }
      return [first, last];
    });
    // Event ids and run ids as `textLists` (one string each), the separator last.
    const [eventIdsText, idsText, separator] = textLists(eventIds, ids);
    return [
      kinds.map((kind) => kind.group),
      kinds.map((kind) => kind.process),
      entriesParam(kinds),
      kinds.map((kind) => kind.entries.length),
      bounds.map(([first]) => first),
      bounds.map(([, last]) => last),
      eventIdsText,
      idsText,
      kindOf,
      separator,
    ];
  }

  /**
   * The common table expressions removing the ledger runs of `keyedParam` (`[[run id, event id]…]`,
   * found by their key) and `unkeyedParam` (run ids, found by a scan of the key): their keys go, their
   * batches are rewritten without them (or deleted when left empty).
   */
  removalCtes(keyedParam: string, unkeyedParam: string): string {
    return `
      ledger_keyed AS (
        DELETE FROM ${this.events} l USING json_array_elements(${keyedParam}::json) w
        WHERE l.event_id = w->>1 AND l.id = w->>0 RETURNING l.batch, l.id),
      ledger_unkeyed AS (
        DELETE FROM ${this.events}
        WHERE id IN (SELECT value FROM json_array_elements_text(${unkeyedParam}::json)) RETURNING batch, id),
      ledger_gone AS (SELECT * FROM ledger_keyed UNION ALL SELECT * FROM ledger_unkeyed),
      ${this.rewriteCtes('ledger', `SELECT DISTINCT batch FROM ledger_gone`, (r, seq) => `NOT EXISTS (SELECT 1 FROM ledger_gone g WHERE g.batch = ${seq} AND g.id = ${r}->>0)`)}`;
  }

  /**
   * CTEs `<name>_kept`, `<name>_up`, `<name>_empty` rewriting the batches whose seq `batches` selects
   * with only the entries `keep(entry, seq)` accepts, their count and bounds computed again; a batch
   * left empty is deleted.
   */
  private rewriteCtes(name: string, batches: string, keep: (r: string, seq: string) => string): string {
    return `
      ${name}_kept AS (
        SELECT b.seq, json_agg(r ORDER BY n) AS runs, count(*) AS count,
          min(${FINISHED('r')})::bigint AS first, max(${FINISHED('r')})::bigint AS last
        FROM ${this.ledger} b, json_array_elements(b.runs) WITH ORDINALITY AS x(r, n)
        WHERE b.seq IN (${batches}) AND ${keep('r', 'b.seq')} GROUP BY b.seq),
      ${name}_up AS (
        UPDATE ${this.ledger} b SET runs = k.runs, count = k.count, first_finished = k.first,
          last_finished = k.last
        FROM ${name}_kept k WHERE b.seq = k.seq),
      ${name}_empty AS (
        DELETE FROM ${this.ledger}
        WHERE seq IN (${batches}) AND seq NOT IN (SELECT seq FROM ${name}_kept))`;
  }

  /** The ledger run with this id; `eventId` finds it through the key, else the key is scanned. */
  async get(id: string, eventId?: string): Promise<RunRecord | undefined> {
    const [row] = await this.connection.query<LedgerEntryRow>(
      `SELECT b.group_name, b.process, r AS entry
       FROM ${this.events} e JOIN ${this.ledger} b ON b.seq = e.batch, json_array_elements(b.runs) r
       WHERE e.id = $1 AND ($2::text IS NULL OR e.event_id = $2) AND r->>0 = $1 LIMIT 1`,
      [id, eventId ?? null],
    );
    return row === undefined ? undefined : entryRun(row);
  }

  /**
   * Ledger runs matching a filter (state aside), the last finished first. By event id through the key;
   * else batches are read newest last-finish first until no unread batch can hold a run among the
   * `limit` latest.
   */
  async list(filter: RunFilter): Promise<RunRecord[]> {
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    const conditions: string[] = [];
    if (filter.group !== undefined) conditions.push(`b.group_name = ${param(filter.group)}`);
    if (filter.process !== undefined) conditions.push(`b.process = ${param(filter.process)}`);
    const where = conditions.map((c) => ` AND ${c}`).join('');
    if (filter.eventId !== undefined) {
      const rows = await this.connection.query<LedgerEntryRow>(
        `SELECT b.group_name, b.process, r AS entry
         FROM ${this.events} e JOIN ${this.ledger} b ON b.seq = e.batch, json_array_elements(b.runs) r
         WHERE e.event_id = ${param(filter.eventId)} AND r->>0 = e.id${where}`,
        params,
      );
      return latest(rows.map(entryRun), filter.limit);
    }
    const before = `(b.last_finished, b.seq) < (${param(null)}::bigint, ${param(null)}::bigint)`;
    const sql = `SELECT b.* FROM ${this.ledger} b WHERE ($${params.length}::bigint IS NULL OR ${before})${where}
      ORDER BY b.last_finished DESC, b.seq DESC LIMIT ${LIST_PAGE}`;
    const found = new LatestLedgerRuns(filter.limit);
    const at = params.length - 2;
    for (;;) {
      const page = await this.connection.query<LedgerBatchRow>(sql, params);
      for (const batch of page) if (!found.add(batch)) return found.runs();
      if (page.length < LIST_PAGE) return found.runs();
      const last = page.at(-1)!;
      params[at] = last.last_finished;
      params[at + 1] = last.seq;
    }
  }

  /** Ledger runs by process, of one group or all. */
  counts(group: string | undefined): Promise<{ process: string; state: 'succeeded'; count: number }[]> {
    return this.connection.query(
      `SELECT process, 'succeeded' AS state, sum(count)::bigint AS count FROM ${this.ledger}
       WHERE $1::text IS NULL OR group_name = $1 GROUP BY process`,
      [group ?? null],
    );
  }

  /**
   * Deletes (or with `dryRun` counts) ledger runs that finished before `before`, exactly per run, in one
   * statement: batches wholly before the cut go with their keys; batches across it are rewritten without
   * their older runs, whose keys go.
   */
  async prune(before: number, dryRun: boolean): Promise<number> {
    const straddling = `SELECT seq FROM ${this.ledger} WHERE first_finished < $1 AND last_finished >= $1`;
    const sql = dryRun
      ? `SELECT (SELECT coalesce(sum(count), 0) FROM ${this.ledger} WHERE last_finished < $1)
           + (SELECT count(*) FROM ${this.ledger} b, json_array_elements(b.runs) r
              WHERE b.seq IN (${straddling}) AND ${FINISHED('r')} < $1) AS n`
      : `WITH whole AS (DELETE FROM ${this.ledger} WHERE last_finished < $1 RETURNING seq, count, runs),
           whole_keys AS (
             DELETE FROM ${this.events} e USING whole w, json_array_elements(w.runs) r
             WHERE e.event_id = r->>1 AND e.id = r->>0 AND e.batch = w.seq),
           part AS (${straddling} FOR UPDATE),
           old AS (
             SELECT b.seq, r FROM ${this.ledger} b, json_array_elements(b.runs) r
             WHERE b.seq IN (SELECT seq FROM part) AND ${FINISHED('r')} < $1),
           old_keys AS (
             DELETE FROM ${this.events} e USING old o
             WHERE e.event_id = o.r->>1 AND e.id = o.r->>0 AND e.batch = o.seq),
           ${this.rewriteCtes('part', 'SELECT seq FROM part', (r) => `${FINISHED(r)} >= $1`)}
         SELECT (SELECT coalesce(sum(count), 0) FROM whole) + (SELECT count(*) FROM old) AS n`;
    const [row] = await this.connection.query<{ n: string | number }>(sql, [before]);
    return Number(row?.n ?? 0);
  }

  /** Every ledger run in the order written: batches by seq, keyset paging over them. */
  iterate(pageSize: number): AsyncIterable<RunRecord> {
    const sql = `SELECT * FROM ${this.ledger} WHERE seq > $1 ORDER BY seq LIMIT $2`;
    return ledgerBatchRuns(
      (after, batches) => this.connection.query<LedgerBatchRow>(sql, [after, batches]),
      pageSize,
    );
  }
}

/**
 * The entries' JSON of every kind, `KIND_SEPARATOR` between two: UTF-8 bytes written entry by entry into
 * a pooled buffer (`pooledJsonArrays`), which the driver sends as they are (a binary `text` parameter is
 * its UTF-8) — no 200 KB string built, flattened and encoded per flush. Entries holding a NUL go as text
 * with it replaced (see `jsonParam`).
 */
function entriesParam(kinds: readonly LedgerKind[]): Uint8Array | string {
  const bytes = pooledJsonArrays(
    kinds.map((kind) => kind.entries),
    KIND_SEPARATOR.charCodeAt(0),
  );
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(NUL_ESCAPE) < 0) return bytes;
  releasePooledUtf8([bytes]);
  return kinds.map((kind) => jsonParam(kind.entries)).join(KIND_SEPARATOR);
}
