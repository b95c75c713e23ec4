import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleFeed } from '../../../src/core/console/data.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';
import { run } from '../../ui/console-fixtures.js';

let store: SqliteStateStore | undefined;

afterEach(async () => {
  await store?.close();
  store = undefined;
});

const SECRET_URL = 'amqp://billing:s3cret@mq.internal:5672/prod';

describe('ConsoleFeed.runDetail (Enter on a run)', () => {
  it('Given a failed run and a plain success, When the detail view reads them, Then it has what runs show has, secrets redacted', async () => {
    store = await openSqliteStore({ path: join(tempDir('console-run-detail-'), 'agent.db') });
    const failed = run('run-failed-000000000000000001', {
      state: 'failed',
      error: `cannot reach ${SECRET_URL}`,
      steps: [
        {
          name: 'charge',
          state: 'failed',
          attempts: 2,
          startedAt: 1_000,
          finishedAt: 1_300,
          error: `cannot reach ${SECRET_URL}`,
          history: [
            { attempt: 1, startedAt: 1_000, durationMs: 100, error: `cannot reach ${SECRET_URL}` },
            { attempt: 2, startedAt: 1_200, durationMs: 100, error: `cannot reach ${SECRET_URL}` },
          ],
        },
      ],
    });
    const plain = run('run-ledger-000000000000000002', { steps: [] });
    await store.flush({ runs: [failed], ledger: [plain], efforts: [], parked: [] });
    const feed = new ConsoleFeed({ store });
    const detail = await feed.runDetail(failed.id, failed.eventId);
    expect(detail?.run.steps[0]?.history.map((a) => a.attempt)).toEqual([1, 2]);
    expect(JSON.stringify(detail)).not.toContain('s3cret');
    expect(detail?.run.error).toContain('mq.internal');
    const ledger = await feed.runDetail(plain.id, plain.eventId);
    expect(ledger).toMatchObject({ ledger: true, run: { id: plain.id, state: 'succeeded' } });
    expect(await feed.runDetail('run-gone-00000000000000000009')).toBeUndefined();
  });
});
