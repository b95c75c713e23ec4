import { isPooledUtf8 } from '../pooled-utf8.js';

/**
 * A transaction's writes as plain data: SQL texts and rows of parameters (arrays for positional, objects
 * for named parameters). The sub-stores build one from a journal batch; `applyWriteBatch` runs it, either
 * on the store's own connection or on the writer thread — the same code either way.
 */
export interface WriteBatch {
  readonly sql: readonly string[];
  /** Parameter rows of `sql[i]`, in order. */
  readonly rows: readonly (readonly unknown[] | Readonly<Record<string, unknown>>)[][];
  /**
   * Rows that run only as a fallback: `unless[i][k]`, when set, is the [statement index, row index] of an
   * earlier row; row k of `sql[i]` is skipped (0 changes) when that row changed something. A cheap
   * statement for the usual case then spares the general one its cost (see `SqliteRunLedger.addInserts`).
   */
  readonly unless?: readonly (readonly (readonly [number, number] | undefined)[] | undefined)[];
}

export class WriteBatchBuilder {
  private readonly sql: string[] = [];
  private readonly rows: (readonly unknown[] | Readonly<Record<string, unknown>>)[][] = [];
  private readonly index = new Map<string, number>();
  private unless: ((readonly [number, number] | undefined)[] | undefined)[] | undefined;

  /**
   * Adds a row for `sql`; returns where it landed: [statement index, row index] (to read its changes).
   * With `unless` (where an earlier `add` landed), the row is skipped when that row changed something;
   * it must belong to a statement added before `sql` was first added, so that it runs first.
   */
  add(
    sql: string,
    params: readonly unknown[] | Readonly<Record<string, unknown>>,
    unless?: readonly [number, number],
  ): readonly [number, number] {
    let i = this.index.get(sql);
    if (i === undefined) {
      i = this.sql.length;
      this.index.set(sql, i);
      this.sql.push(sql);
      this.rows.push([]);
    }
    const rows = this.rows[i]!;
    rows.push(params);
    if (unless !== undefined) {
      if (unless[0] >= i)
        throw new Error('WriteBatchBuilder: `unless` must name a row of an earlier statement');
      this.unless ??= [];
      const marks = this.unless[i] ?? [];
      marks[rows.length - 1] = unless;
      this.unless[i] = marks;
    }
    return [i, rows.length - 1];
  }

  get empty(): boolean {
    return this.sql.length === 0;
  }

  build(): WriteBatch {
    return this.unless === undefined
      ? { sql: this.sql, rows: this.rows }
      : { sql: this.sql, rows: this.rows, unless: this.unless };
  }
}

interface RunnableStatement {
  /** The statement returns rows (`… RETURNING x`). */
  readonly reader: boolean;
  run(...params: unknown[]): { changes: number };
  pluck(toggle?: boolean): RunnableStatement;
  get(...params: unknown[]): unknown;
}

/**
 * Runs every row of a batch (statements in the order they were first added) and returns, by statement,
 * each row's `changes` — or, for a statement that returns rows (`INSERT … RETURNING x`), the first
 * column of its first row; a row skipped by `unless` has 0. Call it inside a transaction. Self-contained
 * on purpose — no imports, no closure — because the writer thread receives it as source text.
 */
export function applyWriteBatch(prepare: (sql: string) => RunnableStatement, batch: WriteBatch): number[][] {
  const changes: number[][] = [];
  for (let i = 0; i < batch.sql.length; i++) {
    const statement = prepare(batch.sql[i] as string);
    const rows = batch.rows[i] as readonly unknown[];
    const unless = batch.unless?.[i];
    const out: number[] = new Array(rows.length);
    if (statement.reader) statement.pluck(true);
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      const after = unless?.[k];
      if (after !== undefined && (changes[after[0]] as number[])[after[1]] !== 0) {
        out[k] = 0;
        continue;
      }
      if (statement.reader)
        out[k] = (Array.isArray(row) ? statement.get(...row) : statement.get(row)) as number;
      else out[k] = (Array.isArray(row) ? statement.run(...row) : statement.run(row)).changes;
    }
    changes.push(out);
  }
  return changes;
}

/** The views of `pooledUtf8` that `batch` binds (to hand back once it was applied). */
export function pooledIn(batch: WriteBatch): Set<Uint8Array> {
  const found = new Set<Uint8Array>();
  for (const rows of batch.rows)
    for (const row of rows)
      for (const param of Array.isArray(row) ? row : Object.values(row))
        if (isPooledUtf8(param)) found.add(param);
  return found;
}
