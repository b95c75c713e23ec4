import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleFeed } from '../../../src/core/console/data.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

let store: SqliteStateStore | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

const SECRET_URL = 'amqp://billing:s3cret@mq.internal:5672/prod';

/** A real SQLite store holding one parked event whose error names a broker URL with its password. */
async function givenAParkedItemWithASecret(): Promise<SqliteStateStore> {
  store = await openSqliteStore({ path: join(tempDir('console-failed-item-'), 'agent.db') });
  await store.flush({
    runs: [],
    ledger: [],
    efforts: [],
    parked: [
      {
        group: 'orders',
        source: 'local:events',
        partition: '0',
        position: '7',
        reason: 'process',
        kind: 'event',
        error: `cannot reach ${SECRET_URL}`,
        rule: 'score-order',
        process: 'score',
        eventId: 'evt-7',
        eventType: 'order.created',
        attempts: 1,
        raw: new TextEncoder().encode(JSON.stringify({ id: 'evt-7', data: { n: 7 } })),
        timestamp: 1_700_000_000_000,
        failedAt: 1_700_000_000_000,
        key: 'orders/7',
      },
    ],
  });
  await store.failed.recordFailure(1, {
    at: 1_700_000_060_000,
    error: `still cannot reach ${SECRET_URL}`,
    via: 'replay',
  });
  return store;
}

describe('ConsoleFeed failed items', () => {
  it('Given a parked item, When the detail view reads it, Then it has its payload and whole history, secrets redacted', async () => {
    const feed = new ConsoleFeed({ store: await givenAParkedItemWithASecret() });
    const item = await feed.failedItem(1);
    expect(new TextDecoder().decode(item?.raw)).toBe('{"id":"evt-7","data":{"n":7}}');
    expect(item?.history.map((h) => [h.via, h.error])).toEqual([
      ['consume', 'cannot reach amqp://***@mq.internal:5672/prod'],
      ['replay', 'still cannot reach amqp://***@mq.internal:5672/prod'],
    ]);
    expect(item?.error).toBe('still cannot reach amqp://***@mq.internal:5672/prod');
    expect(await feed.failedItem(99)).toBeUndefined();
  });

  it('Given a parked item whose error names a password, When the Failed pane lists it, Then the row shows it redacted', async () => {
    const feed = new ConsoleFeed({ store: await givenAParkedItemWithASecret() });
    const view = await feed.load({ failed: { top: 0, limit: 10 } });
    expect(view.failed.rows.map((r) => r.error)).toEqual([
      'still cannot reach amqp://***@mq.internal:5672/prod',
    ]);
    expect(JSON.stringify(view)).not.toContain('s3cret');
  });
});
