import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PruneReport } from '../../../src/core/ops/store-prune.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvent, submissionEvents } from '../../core/agent/fixtures.js';
import { agentctl, writeConfig } from '../../support/cli.js';
import { tempDir } from '../../support/temp.js';

const EVENTS = 40;
/** Event times of `submissionEvent` are 2026-11-18; the log records are appended at the test's now. */
const AFTER_THE_EVENTS = '2026-11-19T00:00:00Z';
const FAR_FUTURE = '2100-01-01T00:00:00Z';

interface Summary {
  readonly type: 'summary';
  readonly read: number;
  readonly runs: Record<string, number>;
}

/** An agent `orders` that consumed `EVENTS` events from the local log, and a slower group `laggard`. */
async function givenAConsumedLog(): Promise<{ dir: string; db: string; latest: number[] }> {
  const dir = tempDir('prune-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
    }`,
  );
  const db = join(dir, '.agentctl', 'agent.db');
  const store = await openSqliteStore({ path: db, writerThread: false });
  await store.log.ensureTopic('events', 2);
  await publish(store, submissionEvents(EVENTS));
  await store.close();
  expect(consume(dir).read).toBe(EVENTS);

  const reopened = await openSqliteStore({ path: db, writerThread: false });
  const latest = [
    (await reopened.log.bounds('events', 0)).latest,
    (await reopened.log.bounds('events', 1)).latest,
  ];
  // A second group reading the same topic, behind on partition 0 and not started on partition 1.
  await reopened.checkpoints.set([
    { group: 'laggard', source: 'local:events', partition: '0', position: '2' },
  ]);
  await reopened.close();
  return { dir, db, latest };
}

function consume(dir: string): Summary {
  const run = agentctl(['consume', '--until-empty', '--json'], { cwd: dir });
  expect(run.code, run.stderr).toBe(0);
  return run.lines<{ type: string }>().find((l) => l.type === 'summary') as Summary;
}

async function counts(db: string) {
  const store = await openSqliteStore({ path: db, readonly: true });
  try {
    const runs = (await store.runs.countByState()).reduce((n, r) => n + r.count, 0);
    const log = [];
    for (const partition of [0, 1]) log.push(await store.log.bounds('events', partition));
    return { runs, log };
  } finally {
    await store.close();
  }
}

describe('agentctl store prune', () => {
  it('Given a consumed log and a slower group, When pruned past everything, Then finished runs go, the log goes only as far as every group has read, and the agent carries on', async () => {
    const { dir, db, latest } = await givenAConsumedLog();

    const run = agentctl(['store', 'prune', '--older-than', FAR_FUTURE, '--yes', '--json'], { cwd: dir });

    expect(run.code, run.stderr).toBe(0);
    const report = run.json<PruneReport>();
    // Partition 0: through the laggard's offset 2. Partition 1: the laggard reads the topic but has not
    // committed there yet, so it holds the partition at its start: kept whole.
    expect(report.log).toEqual([
      { topic: 'events', partition: 0, through: 2, heldBy: 'laggard', records: 3 },
      { topic: 'events', partition: 1, heldBy: 'laggard', records: 0 },
    ]);
    expect(report.deleted).toEqual({ runs: EVENTS, efforts: 0, failed: 0, log: 3 });
    expect(await counts(db)).toEqual({
      runs: 0,
      log: [
        { earliest: 3, latest: latest[0] },
        { earliest: 0, latest: latest[1] },
      ],
    });

    // Checkpoints are untouched: nothing is read again, and new events get the next offsets.
    expect(consume(dir).read).toBe(0);
    const store = await openSqliteStore({ path: db, writerThread: false });
    await publish(store, [submissionEvent(EVENTS), submissionEvent(EVENTS + 1)]);
    await store.close();
    const after = consume(dir);
    expect(after.read).toBe(2);
    expect(after.runs.succeeded).toBe(2);
  });

  it('Given a cut between the events and the runs, When pruned, Then runs go by when they ran, not by their event time, and the log records stay', async () => {
    const { dir, db, latest } = await givenAConsumedLog();

    const run = agentctl(['store', 'prune', '--older-than', AFTER_THE_EVENTS, '--yes', '--json'], {
      cwd: dir,
    });

    expect(run.code, run.stderr).toBe(0);
    expect(run.json<PruneReport>().deleted).toEqual({ runs: 0, efforts: 0, failed: 0, log: 0 });
    expect((await counts(db)).runs).toBe(EVENTS);
    expect((await counts(db)).log).toEqual([
      { earliest: 0, latest: latest[0] },
      { earliest: 0, latest: latest[1] },
    ]);
  });

  it('Given a dry run, --only, no confirmation or a bad cut, Then nothing is deleted', async () => {
    const { dir, db } = await givenAConsumedLog();
    const before = await counts(db);

    const dry = agentctl(['store', 'prune', '--older-than', FAR_FUTURE, '--dry-run'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would delete');
    expect(dry.stdout).toMatch(/runs\s+40/);
    expect(dry.stdout).toContain('dry run: nothing was deleted');

    const unconfirmed = agentctl(['store', 'prune', '--older-than', FAR_FUTURE], { cwd: dir });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('add --yes');

    const badCut = agentctl(['store', 'prune', '--older-than', 'last week', '--yes'], { cwd: dir });
    expect(badCut.code).toBe(2);
    expect(badCut.stderr).toContain('"last week" is not a time');

    const badKind = agentctl(['store', 'prune', '--older-than', '1d', '--only', 'runs,leases', '--yes'], {
      cwd: dir,
    });
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('unknown kind "leases"');
    expect(await counts(db)).toEqual(before);

    const onlyLog = agentctl(
      ['store', 'prune', '--older-than', FAR_FUTURE, '--only', 'log', '--yes', '--json'],
      { cwd: dir },
    );
    expect(onlyLog.code, onlyLog.stderr).toBe(0);
    expect(onlyLog.json<PruneReport>().deleted).toEqual({ log: expect.any(Number) });
    expect((await counts(db)).runs).toBe(EVENTS);
  });
});
