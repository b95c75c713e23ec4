import pg from 'pg';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { TimeoutError } from '../../errors/timeout-error.js';
import { UsageError } from '../../errors/usage-error.js';

/**
 * The database clock's "now" in integer milliseconds since the epoch. Every store-side time (lease expiry,
 * fences, checkpoint and heartbeat stamps) is this, never a client's clock: agents on hosts whose clocks
 * disagree still judge a lease by one clock. `now()` is the start of the statement's transaction, so a
 * statement sees one value however often it uses it; a statement that waited for a lock judges expiry as
 * of before it waited, which can only make a lease look younger (never hand it over early).
 */
export const NOW_MS = 'floor(extract(epoch FROM now()) * 1000)::bigint';

/** OIDs of the types whose parsing the store sets itself. */
const INT8 = 20;
const JSON_OID = 114;
const JSONB = 3802;

/**
 * BIGINT (ms times, offsets, ids, counts) comes back as a JS number: every value the store keeps is far
 * below 2^53. JSON comes back as text, parsed by the sub-stores, so that a stored JSON `null` stays
 * distinguishable from SQL NULL, as in the SQLite adapter.
 */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === INT8) return (value: string) => Number(value);
    if (oid === JSON_OID || oid === JSONB) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  }) as pg.CustomTypesConfig['getTypeParser'],
};

/** SQLSTATE classes and node error codes of a server that cannot be reached or stopped answering. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

export interface PgConnectionOptions {
  /** The connection URI without agentctl's own parameters. */
  readonly url: string;
  /** Where the store lives, credentials redacted: used in every error message. */
  readonly location: string;
  readonly schema: string;
  readonly poolSize: number;
  /** Sessions refuse writes (`default_transaction_read_only`). */
  readonly readonly: boolean;
}

/**
 * The pool shared by the sub-stores, the schema their tables live in, and the mapping of driver errors to
 * engine errors. Table names in SQL are schema-qualified (`table('runs')`) rather than found through
 * `search_path`, so the store works behind a transaction-pooling proxy and two stores in one database
 * never see each other's tables.
 */
export class PgConnection {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly location: string;
  /**
   * Set once the store has opened. Before, a server that cannot be reached is a usage error (wrong
   * `--db`); after, it is a retriable outage: the agent keeps its batch and tries again.
   */
  opened = false;
  /** The schema's quoted name, for DDL. */
  readonly quotedSchema: string;

  constructor(options: PgConnectionOptions) {
    this.schema = options.schema;
    this.location = options.location;
    this.quotedSchema = quoteIdent(options.schema);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types: TYPES,
      application_name: 'agentctl',
      // A forgotten store must not keep a CLI process alive once its work is done.
      allowExitOnIdle: true,
      ...(options.readonly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    // An idle connection that breaks (server restart, network) is dropped from the pool; the next query
    // opens a new one and reports its own error. Without a listener the pool would crash the process.
    this.pool.on('error', () => undefined);
  }

  /** The schema-qualified, quoted name of a table or function of the store. */
  table(name: string): string {
    return `${this.quotedSchema}.${name}`;
  }

  /**
   * Runs one statement (one round trip) and returns its rows. `name` makes it a prepared statement, parsed
   * and planned once per connection: for the statements of the hot path.
   */
  async query<Row extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<Row[]> {
    return (await this.run<Row>(text, values, name)).rows;
  }

  /** Like `query`, and also returns how many rows the statement changed. */
  async run<Row extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<pg.QueryResult<Row>> {
    try {
      const safe = textSafe(values);
      return await this.pool.query<Row>(
        name === undefined ? { text, values: safe } : { text, values: safe, name },
      );
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Rows as arrays (no object per row): for large reads. `name` prepares the statement (see `query`). */
  async rows<Row extends unknown[]>(text: string, values: unknown[], name?: string): Promise<Row[]> {
    try {
      const safe = textSafe(values);
      const config = name === undefined ? { text, values: safe } : { text, values: safe, name };
      return (await this.pool.query<Row>({ ...config, rowMode: 'array' })).rows;
    } catch (error) {
      throw this.translate(error);
    }
  }

  /**
   * Counts (`dryRun`) or deletes the rows of `table` that `where` selects (`$n` placeholders bound to
   * `values`). One statement: PostgreSQL deletes without blocking readers or the agents' writes to
   * other rows.
   */
  async prune(table: string, where: string, values: unknown[], dryRun: boolean): Promise<number> {
    if (dryRun) {
      const [row] = await this.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${this.table(table)} WHERE ${where}`,
        values,
      );
      return row?.n ?? 0;
    }
    return (await this.run(`DELETE FROM ${this.table(table)} WHERE ${where}`, values)).rowCount ?? 0;
  }

  /**
   * Runs the statements in order in one transaction (all or nothing); returns each one's result. A single
   * statement runs on its own (one round trip: a statement is a transaction already).
   */
  async runAll(statements: readonly PgStatement[]): Promise<pg.QueryResult[]> {
    if (statements.length === 1) {
      const [{ text, values, name }] = statements as [PgStatement];
      return [await this.run(text, values, name)];
    }
    return this.transaction(async (client) => {
      const results: pg.QueryResult[] = [];
      for (const { text, values, name } of statements) {
        const safe = textSafe(values);
        results.push(
          await client.query(name === undefined ? { text, values: safe } : { text, values: safe, name }),
        );
      }
      return results;
    });
  }

  /** Runs `body` in a transaction on one connection; rolls back when it throws. */
  async transaction<T>(body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.translate(error);
    } finally {
      client.release();
    }
  }

  /**
   * The engine error for a driver error: a server that cannot be reached is a `UsageError` naming the
   * store while opening, a retriable `TimeoutError` once open; a refused login, a missing database and a
   * write to a read-only session are `UsageError`s; lock and serialization conflicts and cancelled
   * statements are retriable `TimeoutError`s. Others pass through.
   */
  translate(error: unknown): unknown {
    if (!(error instanceof Error) || isEngineError(error)) return error;
    const code = (error as { code?: unknown }).code;
    const reason = error.message;
    if (
      (typeof code === 'string' && (UNREACHABLE.has(code) || code.startsWith('08') || code === '57P03')) ||
      /connection terminated|timeout exceeded when trying to connect/i.test(reason)
    ) {
      const options = {
        cause: error,
        hint: 'check --db / AGENTCTL_DB (host, port, database) and that PostgreSQL is running and reachable',
      };
      const message = `cannot reach the state store ${this.location}: ${reason}`;
      return this.opened ? new TimeoutError(message, options) : new StoreUnavailableError(message, options);
    }
    if (code === '28P01' || code === '28000') {
      return new UsageError(`the state store ${this.location} refused the login: ${reason}`, {
        cause: error,
        hint: 'check the user and password in --db / AGENTCTL_DB (or PGPASSWORD / ~/.pgpass)',
      });
    }
    if (code === '3D000') {
      return new UsageError(`the state store ${this.location} does not exist: ${reason}`, {
        cause: error,
        hint: 'create the database first (createdb), or point --db at an existing one',
      });
    }
    if (code === '25006') {
      return new UsageError(`the state store ${this.location} is open read-only: ${reason}`, {
        cause: error,
        hint: 'open it without readonly to write',
      });
    }
    if (code === '40001' || code === '40P01' || code === '55P03' || code === '57014') {
      return new TimeoutError(`the state store ${this.location} is busy: ${reason}`, {
        cause: error,
        hint: 'try again; if it persists, look for long transactions holding locks in the database',
      });
    }
    return error;
  }

  async close(): Promise<void> {
    if (!this.pool.ended && !this.pool.ending) await this.pool.end();
  }
}

function isEngineError(error: Error): boolean {
  return error instanceof UsageError || error instanceof TimeoutError;
}

/** A schema name the store accepts: a plain SQL identifier, so it never needs escaping beyond quotes. */
export function assertSchemaName(schema: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new UsageError(`"${schema}" is not a usable schema name for the state store`, {
      hint: 'use letters, digits and _ only, starting with a letter or _ (at most 63 characters)',
    });
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A value as a JSON parameter. PostgreSQL text cannot hold the NUL character (JSON `\u0000` in a text
 * column or JSONB is an error, which would fail every retry of a flush): NULs in strings become U+FFFD.
 * The check is one scan of the text; the rewrite only happens when there is a NUL to replace.
 */
export function jsonParam(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\u0000') ? JSON.stringify(value, withoutNul) : text;
}

function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? value.replaceAll('\0', '\uFFFD') : value;
}

/** Text parameters without NUL characters (see `jsonParam`). */
/** A statement with its parameters; `name` prepares it once per connection (see `query`). */
export interface PgStatement {
  readonly text: string;
  readonly values: unknown[];
  readonly name?: string;
}

function textSafe(values: unknown[]): unknown[] {
  return values.map((value) => (typeof value === 'string' ? safeText(value) : value));
}

/** A text without NUL characters (see `jsonParam`): for the elements of array parameters. */
export function safeText(value: string): string {
  return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value;
}

/** Separators `textList` tries, in order: control characters that ids hardly ever hold. */
const LIST_SEPARATORS = ['\x1e', '\x1f', '\x1d', '\x1c'];

/**
 * A list of texts as two text parameters — every element behind a separator that none of them holds,
 * and that separator — read on the server by `textListSql`. One string instead of a `text[]` literal,
 * which the driver builds by escaping and quoting each element and the server parses back element by
 * element: measured for two lists of 1,000 run ids and event ids, 1.1–1.2 → 0.5–0.7 ms of client CPU and
 * 1.1–1.3 → 0.8–0.9 ms a round trip. Elements go through `safeText`. `lists` share one separator.
 */
export function textLists(...lists: (readonly string[])[]): string[] {
  let separator = LIST_SEPARATORS.find((s) => lists.every((list) => !list.some((v) => v.includes(s))));
  for (let n = 0; separator === undefined; n++) {
    const candidate = `\x1e${n}\x1e`;
    if (lists.every((list) => !list.some((v) => v.includes(candidate)))) separator = candidate;
  }
  const sep = separator;
  return [...lists.map((list) => (list.length === 0 ? '' : sep + list.map(safeText).join(sep))), sep];
}

/** The `text[]` of a `textLists` parameter (`list`), given the parameter holding their separator. */
export function textListSql(list: string, separator: string): string {
  return `(string_to_array(${list}::text, ${separator}::text))[2:]`;
}

/** Bytes as base64 text, to travel inside a JSON parameter (decoded with `decode(x, 'base64')`). */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
