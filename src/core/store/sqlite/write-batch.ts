/**
 * A transaction's writes as plain data: SQL texts and rows of parameters (arrays for positional, objects
 * for named parameters). The sub-stores build one from a journal batch; `applyWriteBatch` runs it, either
 * on the store's own connection or on the writer thread — the same code either way.
 */
export interface WriteBatch {
  readonly sql: readonly string[];
  /** Parameter rows of `sql[i]`, in order. */
  readonly rows: readonly (readonly unknown[] | Readonly<Record<string, unknown>>)[][];
}

export class WriteBatchBuilder {
  private readonly sql: string[] = [];
  private readonly rows: (readonly unknown[] | Readonly<Record<string, unknown>>)[][] = [];
  private readonly index = new Map<string, number>();

  /** Adds a row for `sql`; returns where it landed: [statement index, row index] (to read its changes). */
  add(
    sql: string,
    params: readonly unknown[] | Readonly<Record<string, unknown>>,
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
    return [i, rows.length - 1];
  }

  get empty(): boolean {
    return this.sql.length === 0;
  }

  build(): WriteBatch {
    return { sql: this.sql, rows: this.rows };
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
 * column of its first row. Call it inside a transaction. Self-contained on purpose — no imports, no
 * closure — because the writer thread receives it as source text.
 */
export function applyWriteBatch(prepare: (sql: string) => RunnableStatement, batch: WriteBatch): number[][] {
  const changes: number[][] = [];
  for (let i = 0; i < batch.sql.length; i++) {
    const statement = prepare(batch.sql[i] as string);
    const rows = batch.rows[i] as readonly unknown[];
    const out: number[] = new Array(rows.length);
    if (statement.reader) {
      statement.pluck(true);
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k];
        out[k] = (Array.isArray(row) ? statement.get(...row) : statement.get(row)) as number;
      }
    } else {
      for (let k = 0; k < rows.length; k++) {
        const row = rows[k];
        out[k] = (Array.isArray(row) ? statement.run(...row) : statement.run(row)).changes;
      }
    }
    changes.push(out);
  }
  return changes;
}
