import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResultOutbox } from '../../../src/core/worker/result-outbox.js';
import { tempDir } from '../../support/temp.js';

function outbox(path = join(tempDir('outbox-'), 'worker.db')): ResultOutbox {
  const box = new ResultOutbox(path, 'ep');
  onTestFinished(() => box.close());
  return box;
}

const body = (text: string) => Buffer.from(text);

describe('ResultOutbox', () => {
  it('Given a kept success, When another result of the run comes, Then the success stands', () => {
    const box = outbox();
    box.add({ runId: 'r1', state: 'succeeded', dispatch: 'd1', body: body('ok') }, 1);
    box.published(['r1'], 2);

    box.add({ runId: 'r1', state: 'failed', dispatch: 'd2', body: body('late') }, 3);

    expect(box.find('r1')).toMatchObject({ state: 'succeeded', dispatch: 'd1' });
    expect(box.waiting).toBe(0);
  });

  it('Given a kept failure, When the run ran again for a new dispatch, Then its new result replaces the failure and goes out', () => {
    const box = outbox();
    box.add({ runId: 'r1', state: 'failed', dispatch: 'd1', body: body('no') }, 1);
    box.published(['r1'], 2);

    box.add({ runId: 'r1', state: 'succeeded', dispatch: 'd2', body: body('yes') }, 3);

    expect(box.find('r1')).toMatchObject({ state: 'succeeded', dispatch: 'd2' });
    expect(box.pending(10).map((e) => [e.runId, e.body.toString()])).toEqual([['r1', 'yes']]);
  });

  it('Given a published result, When it is published again, Then it waits in the outbox until confirmed again', () => {
    const box = outbox();
    box.add({ runId: 'r1', state: 'succeeded', dispatch: 'd1', body: body('ok') }, 1);
    box.published(['r1'], 2);

    box.publishAgain('r1');

    expect(box.pending(10).map((e) => e.runId)).toEqual(['r1']);
    box.published(['r1'], 3);
    expect(box.waiting).toBe(0);
  });

  it('Given an outbox file of the first format, When it is opened, Then its results are kept with their state and an unknown dispatch', () => {
    const path = join(tempDir('outbox-'), 'worker.db');
    const old = new Database(path);
    old.exec(`CREATE TABLE results (run_id TEXT PRIMARY KEY, endpoint TEXT NOT NULL, body BLOB NOT NULL,
      created_at INTEGER NOT NULL, published_at INTEGER)`);
    const insert = old.prepare('INSERT INTO results VALUES (?, ?, ?, ?, ?)');
    insert.run(
      'r1',
      'ep',
      body(JSON.stringify({ run: { id: 'r1', group: 'orders', state: 'failed' } })),
      1,
      2,
    );
    insert.run(
      'r2',
      'ep',
      body(JSON.stringify({ run: { id: 'r2', group: 'orders', state: 'succeeded' } })),
      1,
      null,
    );
    old.close();

    const box = outbox(path);

    expect(box.find('r1')).toMatchObject({ state: 'failed', dispatch: '' });
    expect(box.find('r2')).toMatchObject({ state: 'succeeded', dispatch: '' });
    expect(box.pending(10).map((e) => e.runId)).toEqual(['r2']);
  });
});
