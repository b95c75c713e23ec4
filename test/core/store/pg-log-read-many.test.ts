import { describe, expect, it } from 'vitest';
import type { PgConnection } from '../../../src/core/store/postgres/pg-connection.js';
import { PgLogStore } from '../../../src/core/store/postgres/pg-log-store.js';

/** A connection whose reads answer `rows` as they are, whatever the statement. */
function answering(rows: unknown[][]): PgConnection {
  return { table: (name: string) => name, rows: async () => rows } as unknown as PgConnection;
}

describe('PgLogStore.readMany without a sort on the server', () => {
  it('Given rows that come out of offset order, When read, Then each read gives its records in offset order', async () => {
    const store = new PgLogStore(
      answering([
        [1, 7, null, 1_000, 'b7'],
        [0, 4, 'k', 1_000, 'a4'],
        [1, 5, null, 1_000, 'b5'],
        [0, 3, 'k', 1_000, 'a3'],
        [1, 6, null, 1_000, 'b6'],
      ]),
    );

    const [first, second] = await store.readMany('t', [
      { partition: 2, afterOffset: 2, max: 10 },
      { partition: 0, afterOffset: 4, max: 10 },
    ]);

    expect(first!.map((r) => [r.partition, r.offset, r.text])).toEqual([
      [2, 3, 'a3'],
      [2, 4, 'a4'],
    ]);
    expect(second!.map((r) => [r.partition, r.offset, r.text])).toEqual([
      [0, 5, 'b5'],
      [0, 6, 'b6'],
      [0, 7, 'b7'],
    ]);
  });
});
