import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

interface ItemJson {
  id: number;
  status: string;
  reason: string;
  kind: string;
  eventId?: string;
  attempts: number;
  sink?: string;
  recordKey?: string;
  history: { via: string; error: string }[];
}

interface ReplaySummaryJson {
  selected: number;
  replayed: number;
  failedAgain: number;
  skipped: number;
  runs: { succeeded: number; failed: number; skipped: number };
  delivered: number;
  items: { id: number; outcome: string; error?: string }[];
}

interface RangeSummaryJson {
  read: number;
  last?: string;
  processed: number;
  runs: { succeeded: number; failed: number; skipped: number };
}

const PREAMBLE = `import { appendFileSync, existsSync } from 'node:fs';\nimport { join } from 'node:path';`;

/**
 * Orders: `fragile` ones fail (FatalError) while `broken.flag` exists in the working dir; every successful
 * execution appends the event id to `executions.log`. Results are published to `sink`.
 */
function config(sink: string): string {
  return `{
  name: 'orders',
  consumer: { localPartitions: 1 },
  publisher: { sink: '${sink}', contingency: { maxRetries: 1, baseMs: 5, maxMs: 10, jitter: 0 } },
  rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
  processes: [
    defineProcess({
      name: 'ship',
      publish: ${sink === 'none' ? 'false' : 'true'},
      steps: [{
        name: 'ship',
        run: ({ event }) => {
          if (event.data?.fragile && existsSync(join(process.cwd(), 'broken.flag'))) {
            throw new FatalError('warehouse is down');
          }
          appendFileSync(join(process.cwd(), 'executions.log'), event.id + '\\n');
          return { shipped: event.id };
        },
      }],
    }),
  ],
}`;
}

/** A project with orders evt-1..evt-4 (evt-2 and evt-4 fragile) in its local log, consumed once. */
async function givenConsumed(options: { broken: boolean; sink?: string }): Promise<string> {
  const dir = tempDir();
  writeConfig(dir, config(options.sink ?? 'none'), PREAMBLE);
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db') });
  await store.log.ensureTopic('events', 1);
  const orders = [1, 2, 3, 4].map((n) => ({
    specversion: '1.0',
    id: `evt-${n}`,
    type: 'order.created',
    source: '/shop',
    subject: `customer-${n}`,
    data: { n, fragile: n % 2 === 0 },
  }));
  await store.log.append(
    'events',
    orders.map((o) => ({ value: new TextEncoder().encode(JSON.stringify(o)) })),
  );
  await store.close();
  if (options.broken) writeFileSync(join(dir, 'broken.flag'), '');
  const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  return dir;
}

function list(dir: string, ...args: string[]): ItemJson[] {
  const result = agentctl(['failed', 'list', '--json', ...args], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return result.json<ItemJson[]>();
}

function replay(dir: string, ...args: string[]) {
  const result = agentctl(['replay', ...args], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return result;
}

/** How many times each event was executed successfully. */
function executions(dir: string): Record<string, number> {
  const path = join(dir, 'executions.log');
  const counts: Record<string, number> = {};
  if (!existsSync(path)) return counts;
  for (const id of readFileSync(path, 'utf8').split('\n').filter(Boolean)) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

/** The recorded runs of each event: their states, in the store. */
async function runStates(dir: string): Promise<Record<string, string[]>> {
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db'), readonly: true });
  try {
    const states: Record<string, string[]> = {};
    for (const run of await store.runs.list({}))
      states[run.eventId] = [...(states[run.eventId] ?? []), run.state];
    return states;
  } finally {
    await store.close();
  }
}

async function checkpoints(dir: string) {
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db'), readonly: true });
  try {
    return (await store.checkpoints.list()).map((c) => ({ partition: c.partition, position: c.position }));
  } finally {
    await store.close();
  }
}

describe('agentctl replay --failed', () => {
  it('while the cause persists, items stay pending with one more failure in their history', async () => {
    const dir = await givenConsumed({ broken: true });
    expect(list(dir).map((i) => i.eventId)).toEqual(['evt-2', 'evt-4']);

    const result = agentctl(['replay', '--failed', '--yes', '--json'], { cwd: dir });

    expect(result.json<ReplaySummaryJson>()).toMatchObject({ selected: 2, replayed: 0, failedAgain: 2 });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('2 items failed again and stay pending (exit 3)');
    const items = list(dir);
    expect(items.map((i) => [i.eventId, i.status, i.attempts])).toEqual([
      ['evt-2', 'pending', 2],
      ['evt-4', 'pending', 2],
    ]);
    expect(items[0]!.history.map((h) => h.via)).toEqual(['consume', 'replay']);
    expect(items[0]!.history[1]!.error).toContain('warehouse is down');
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-3': 1 });
  });

  it('once the cause is fixed, replays what failed and nothing else', async () => {
    const dir = await givenConsumed({ broken: true });
    rmSync(join(dir, 'broken.flag'));

    const result = replay(dir, '--failed', '--yes');

    expect(result.stdout).toContain('replayed 2 of 2 items');
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 1, 'evt-3': 1, 'evt-4': 1 });
    expect(await runStates(dir)).toEqual({
      'evt-1': ['succeeded'],
      'evt-2': ['succeeded'],
      'evt-3': ['succeeded'],
      'evt-4': ['succeeded'],
    });
    expect(list(dir)).toEqual([]);
    const replayed = list(dir, '--status', 'replayed');
    expect(replayed.map((i) => [i.eventId, i.status])).toEqual([
      ['evt-2', 'replayed'],
      ['evt-4', 'replayed'],
    ]);
    const again = replay(dir, '--failed', '--yes', '--json').json<ReplaySummaryJson>();
    expect(again.selected).toBe(0);
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 1, 'evt-3': 1, 'evt-4': 1 });
  });

  it('--dry-run shows what would be replayed and changes nothing', async () => {
    const dir = await givenConsumed({ broken: true });
    rmSync(join(dir, 'broken.flag'));

    const result = replay(dir, '--failed', '--dry-run', '--json');

    const summary = result.json<ReplaySummaryJson>();
    expect(summary).toMatchObject({ selected: 2, replayed: 0, failedAgain: 0, skipped: 2 });
    expect(summary.items.map((i) => i.outcome)).toEqual(['skipped', 'skipped']);
    expect(list(dir).map((i) => [i.eventId, i.attempts])).toEqual([
      ['evt-2', 1],
      ['evt-4', 1],
    ]);
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-3': 1 });
  });

  it('--id replays only the items named; asks first when not told --yes', async () => {
    const dir = await givenConsumed({ broken: true });
    rmSync(join(dir, 'broken.flag'));
    const [evt2] = list(dir);

    const unconfirmed = agentctl(['replay', '--failed', '--id', String(evt2!.id)], { cwd: dir });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('replay 1 failed item?');
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-3': 1 });

    replay(dir, '--failed', '--id', String(evt2!.id), '--yes');

    expect(list(dir).map((i) => i.eventId)).toEqual(['evt-4']);
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 1, 'evt-3': 1 });
  });

  it('delivers a parked record once its sink can be written, without parking it twice', async () => {
    const project = await givenConsumedWithBlockedSink();

    const parked = list(project);
    expect(parked.map((i) => [i.reason, i.kind, i.sink, i.recordKey])).toEqual([
      ['publish', 'record', 'file:out/results.ndjson', 'customer-1'],
    ]);
    const broken = agentctl(['replay', '--failed', '--yes', '--json'], { cwd: project });
    expect(broken.code).toBe(3);
    expect(broken.json<ReplaySummaryJson>()).toMatchObject({ selected: 1, failedAgain: 1 });
    expect(list(project, '--status', 'any').map((i) => [i.id, i.attempts])).toEqual([[parked[0]!.id, 3]]);

    rmSync(join(project, 'out'));
    const fixed = replay(project, '--failed', '--yes', '--json').json<ReplaySummaryJson>();

    expect(fixed).toMatchObject({ selected: 1, replayed: 1, delivered: 1 });
    const lines = readFileSync(join(project, 'out/results.ndjson'), 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { key: 'customer-1', value: { eventId: 'evt-1', output: { shipped: 'evt-1' } } },
    ]);
    expect(list(project)).toEqual([]);
    expect(list(project, '--status', 'any')).toHaveLength(1);
    expect(executions(project)).toEqual({ 'evt-1': 1 });
  });

  it('--where replays only the items the CEL expression matches, and asks about those only', async () => {
    const dir = await givenConsumed({ broken: true });
    rmSync(join(dir, 'broken.flag'));

    const dry = replay(dir, '--failed', '--where', 'event.data.n == 4', '--dry-run', '--json');
    expect(dry.json<ReplaySummaryJson>()).toMatchObject({ selected: 1, skipped: 1 });
    const unconfirmed = agentctl(['replay', '--failed', '--where', 'event.data.n == 4'], { cwd: dir });
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('replay 1 failed item?');

    const none = replay(dir, '--failed', '--where', 'event.data.n == 3', '--yes', '--json');
    expect(none.json<ReplaySummaryJson>()).toMatchObject({ selected: 0, replayed: 0 });
    const one = replay(dir, '--failed', '--where', 'step == "ship" && event.data.n == 4', '--yes');
    expect(one.stdout).toContain('replayed 1 of 1 item in');
    expect(list(dir).map((i) => i.eventId)).toEqual(['evt-2']);
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-3': 1, 'evt-4': 1 });

    const bad = agentctl(['replay', '--failed', '--where', 'event.data.n ==', '--yes'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--where is not a valid CEL filter at column');
    expect(list(dir).map((i) => i.eventId)).toEqual(['evt-2']);
  });

  it('rejects an unknown id with "not found" (exit 2: bad input)', async () => {
    const dir = await givenConsumed({ broken: true });

    const result = agentctl(['replay', '--failed', '--id', '999', '--yes'], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: failed message 999 not found\n/);
  });
});

/** A project whose sink path runs through a regular file, so the first result cannot be written. */
async function givenConsumedWithBlockedSink(): Promise<string> {
  const dir = tempDir();
  writeConfig(dir, config('file:out/results.ndjson'), PREAMBLE);
  writeFileSync(join(dir, 'out'), 'a file where the sink needs a directory');
  const store = await openSqliteStore({ path: join(dir, '.agentctl/agent.db') });
  await store.log.ensureTopic('events', 1);
  const event = {
    specversion: '1.0',
    id: 'evt-1',
    type: 'order.created',
    source: '/shop',
    subject: 'customer-1',
  };
  await store.log.append('events', [{ value: new TextEncoder().encode(JSON.stringify(event)) }]);
  await store.close();
  const consumed = agentctl(['consume', '--until-empty'], { cwd: dir });
  expect(consumed.code, consumed.stderr).toBe(0);
  return dir;
}

describe('agentctl replay --from', () => {
  it('re-processes a range without moving checkpoints, skipping succeeded runs unless --rerun', async () => {
    const dir = await givenConsumed({ broken: false });
    const before = await checkpoints(dir);
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 1, 'evt-3': 1, 'evt-4': 1 });

    const skipped = replay(dir, '--from', '1', '--to', '2', '--partition', '0', '--yes', '--json');
    expect(skipped.json<RangeSummaryJson>()).toMatchObject({
      read: 2,
      last: '2',
      processed: 2,
      runs: { succeeded: 0, skipped: 2 },
    });
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 1, 'evt-3': 1, 'evt-4': 1 });

    const rerun = replay(dir, '--from', '1', '--to', '2', '--partition', '0', '--rerun', '--yes');

    expect(rerun.stdout).toContain('re-processed 2 messages of local:events partition 0 (1..2)');
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 2, 'evt-3': 2, 'evt-4': 1 });
    expect(await checkpoints(dir)).toEqual(before);
  });
});

describe('agentctl replay --from --rerun keeps one record per run', () => {
  interface StatusJson {
    runs: { byProcess: { process: string; state: string; count: number }[] };
  }
  const runCounts = (dir: string) => {
    const status = agentctl(['status', '--json'], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    return Object.fromEntries(status.json<StatusJson>().runs.byProcess.map((r) => [r.state, r.count]));
  };

  it('Given succeeded runs, When a rerun fails one and succeeds another, Then status counts each run once in its newest state, and a later replay runs the failed one again', async () => {
    const dir = await givenConsumed({ broken: false });
    expect(runCounts(dir)).toEqual({ succeeded: 4 });

    writeFileSync(join(dir, 'broken.flag'), '');
    replay(dir, '--from', '1', '--to', '2', '--partition', '0', '--rerun', '--yes');
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 1, 'evt-3': 2, 'evt-4': 1 });
    expect(runCounts(dir)).toEqual({ succeeded: 3, failed: 1 });

    rmSync(join(dir, 'broken.flag'));
    const again = replay(dir, '--from', '1', '--to', '2', '--partition', '0', '--yes', '--json');
    expect(again.json<RangeSummaryJson>().runs).toMatchObject({ succeeded: 1, skipped: 1 });
    expect(executions(dir)).toEqual({ 'evt-1': 1, 'evt-2': 2, 'evt-3': 2, 'evt-4': 1 });
    expect(runCounts(dir)).toEqual({ succeeded: 4 });
  });
});

describe('agentctl replay usage', () => {
  it.each([
    [['--failed', '--from', '1', '--partition', '0'], 'choose one mode'],
    [[], 'choose one mode'],
    [['--from', '1'], '--from needs --partition'],
    [['--failed', '--rerun'], '--rerun does not go with --failed'],
    [['--from', '1', '--partition', '0', '--reason', 'process'], '--reason does not go with --from'],
  ])('replay %j is a usage error (exit 2, one line)', (args, message) => {
    const dir = tempDir();

    const result = agentctl(['replay', ...args], { cwd: dir });

    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^error: /);
    expect(lines[0]).toContain(message);
    expect(lines.slice(1).every((l) => l.startsWith('  try: '))).toBe(true);
  });
});
