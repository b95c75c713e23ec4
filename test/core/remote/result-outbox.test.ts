import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ResultOutbox } from '../../../src/core/remote/result-outbox.js';
import { tempDir } from '../../support/temp.js';

function outbox(path = join(tempDir('outbox-'), 'worker.db')): ResultOutbox {
  const box = new ResultOutbox(path, 'ep');
  onTestFinished(() => box.close());
  return box;
}

const body = (text: string) => Buffer.from(text);
const kept = (runId: string, state: string, dispatch: string, text: string, group = 'orders') => ({
  group,
  runId,
  routing: `ep.results.${group}`,
  state,
  dispatch,
  body: body(text),
});
const r1 = { group: 'orders', runId: 'r1' };

describe('ResultOutbox', () => {
  it('Given a kept success, When another result of the run comes, Then the success stands', () => {
    const box = outbox();
    box.add(kept('r1', 'succeeded', 'd1', 'ok'), 1);
    box.published([r1], 2);

    box.add(kept('r1', 'failed', 'd2', 'late'), 3);

    expect(box.find('orders', 'r1')).toMatchObject({ state: 'succeeded', dispatch: 'd1' });
    expect(box.waiting).toBe(0);
  });

  it('Given a kept failure, When the run ran again for a new dispatch, Then its new result replaces the failure and goes out', () => {
    const box = outbox();
    box.add(kept('r1', 'failed', 'd1', 'no'), 1);
    box.published([r1], 2);

    box.add(kept('r1', 'succeeded', 'd2', 'yes'), 3);

    expect(box.find('orders', 'r1')).toMatchObject({ state: 'succeeded', dispatch: 'd2' });
    expect(box.pending(10).map((e) => [e.runId, e.body.toString()])).toEqual([['r1', 'yes']]);
  });

  it('Given a published result, When it is published again, Then it waits in the outbox until confirmed again', () => {
    const box = outbox();
    box.add(kept('r1', 'succeeded', 'd1', 'ok'), 1);
    box.published([r1], 2);

    box.publishAgain('orders', 'r1', 'ep.results.orders');

    expect(box.pending(10).map((e) => e.runId)).toEqual(['r1']);
    box.published([r1], 3);
    expect(box.waiting).toBe(0);
  });

  it('Given a result of a run of one agent, When a run with the same id of another agent is looked up or kept, Then the two are apart', () => {
    const box = outbox();
    box.add(kept('r1', 'succeeded', 'd1', 'a', 'orders'), 1);

    expect(box.find('billing', 'r1')).toBeUndefined();
    box.add(kept('r1', 'failed', 'd2', 'b', 'billing'), 2);

    expect(box.pending(10).map((e) => [e.group, e.routing, e.body.toString()])).toEqual([
      ['orders', 'ep.results.orders', 'a'],
      ['billing', 'ep.results.billing', 'b'],
    ]);
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

    expect(box.find('orders', 'r1')).toMatchObject({ state: 'failed', dispatch: '', routing: 'ep.results' });
    expect(box.find('orders', 'r2')).toMatchObject({
      state: 'succeeded',
      dispatch: '',
      routing: 'ep.results',
    });
    expect(box.pending(10).map((e) => e.runId)).toEqual(['r2']);
  });
});
