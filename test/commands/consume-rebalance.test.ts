import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvents } from '../core/agent/fixtures.js';
import { type CliResult, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const EVENTS = 40;

/**
 * An agent `orders` on the local log whose one step notes its pid and the event id in `<dir>/started.log`, takes
 * `stepMs`, then notes the event id in `<dir>/runs.log` and (for every `failEvery`-th event) fails for good, on a pool runner of 8; a join
 * gives in-flight work `drainTimeoutMs`.
 */
function givenAnAgent(options: { stepMs: number; drainTimeoutMs: number; failEvery?: number }): {
  dir: string;
  db: string;
  runsLog: string;
  startedLog: string;
} {
  const dir = tempDir('rebalance-');
  const runsLog = join(dir, 'runs.log');
  const startedLog = join(dir, 'started.log');
  writeConfig(
    dir,
    `{
      name: 'orders',
      runner: { kind: 'pool' },
      consumer: { heartbeatMs: 100, leaseTtlMs: 1_500, drainTimeoutMs: ${options.drainTimeoutMs} },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'slow', run: async ({ event }) => {
        appendFileSync(${JSON.stringify(startedLog)}, process.pid + ' ' + event.id + '\\n');
        await new Promise((resolve) => setTimeout(resolve, ${options.stepMs}));
        appendFileSync(${JSON.stringify(runsLog)}, event.id + '\\n');
        if (${options.failEvery ?? 0} > 0 && event.data.n % ${options.failEvery ?? 1} === 0) throw new FatalError('refused');
        return event.id;
      } }] })],
    }`,
    `import { appendFileSync } from 'node:fs';`,
  );
  return { dir, db: join(dir, '.agentctl', 'agent.db'), runsLog, startedLog };
}

function consume(dir: string, untilEmpty: boolean) {
  const consumer = startAgentctl(['consume', '--json', ...(untilEmpty ? ['--until-empty'] : [])], {
    cwd: dir,
  });
  onTestFinished(() => {
    if (consumer.child.exitCode === null) consumer.child.kill('SIGKILL');
  });
  return consumer;
}

/** The summary line of a finished `consume --json`. */
function summaryOf(result: CliResult): {
  agent: string;
  read: number;
  processed: number;
  parked: number;
  stoppedBy: string;
} {
  const summary = result
    .lines<{
      type: string;
      agent: string;
      read: number;
      processed: number;
      parked: number;
      stoppedBy: string;
    }>()
    .find((l) => l.type === 'summary');
  if (summary === undefined) throw new Error(`no summary: ${result.stdout}\n${result.stderr}`);
  return summary;
}

async function exitOf(
  consumer: ReturnType<typeof consume>,
  what: string,
  timeoutMs = 60_000,
): Promise<CliResult> {
  const timeout = delay(timeoutMs).then(() => {
    throw new Error(
      `${what} did not exit within ${timeoutMs} ms\nstdout:\n${consumer.stdout()}\nstderr:\n${consumer.stderr()}`,
    );
  });
  return Promise.race([consumer.done, timeout]);
}

/**
 * Appends `events` to the local topic `events` (4 partitions), by their keys or, with `onto`, in turn onto
 * those partitions only; returns the latest position of each partition that holds events.
 */
async function seed(db: string, events: number, onto?: readonly number[]): Promise<Map<string, string>> {
  const store = await openSqliteStore({ path: db });
  try {
    if (onto === undefined) await publish(store, submissionEvents(events));
    else {
      await store.log.ensureTopic('events', 4);
      await store.log.append(
        'events',
        submissionEvents(events).map((e, i) => ({
          value: new TextEncoder().encode(JSON.stringify(e)),
          partition: onto[i % onto.length]!,
        })),
      );
    }
    const tips = new Map<string, string>();
    for (let p = 0; p < 4; p++) {
      const { latest } = await store.log.bounds('events', p);
      if (latest !== undefined && latest >= 0) tips.set(String(p), String(latest));
    }
    return tips;
  } finally {
    await store.close();
  }
}

/** Each partition's committed position for the group `orders`. */
async function checkpointsOf(db: string): Promise<Map<string, string>> {
  const store = await openSqliteStore({ path: db, readonly: true });
  try {
    const checkpoints = await store.checkpoints.get('orders', 'local:events');
    return new Map([...checkpoints].map(([p, c]) => [p, c.position]));
  } finally {
    await store.close();
  }
}

/** How often the step ran (or started) per event id, from its log. */
function executions(log: string): Map<string, number> {
  const counts = new Map<string, number>();
  if (!existsSync(log)) return counts;
  for (const id of readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0))
    counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** How many runs succeeded, as the store says. */
async function doneRuns(db: string): Promise<number> {
  const store = await openSqliteStore({ path: db, readonly: true });
  try {
    return (await store.runs.countByState('orders')).reduce(
      (n, c) => n + (c.state === 'succeeded' ? c.count : 0),
      0,
    );
  } finally {
    await store.close();
  }
}

describe('agentctl consume: two agents rebalancing', () => {
  it('Given slow steps and a short drain timeout, When a second agent joins while the first is busy, Then both finish, every event is done and the checkpoints reach the tips', async () => {
    const { dir, db } = givenAnAgent({ stepMs: 1_500, drainTimeoutMs: 300 });
    const tips = await seed(db, EVENTS);

    const a = consume(dir, true);
    await delay(700);
    const b = consume(dir, false);
    const resultA = await exitOf(a, 'agent A');
    await expect.poll(() => doneRuns(db), { timeout: 30_000, interval: 200 }).toBe(EVENTS);
    b.child.kill('SIGTERM');
    const resultB = await exitOf(b, 'agent B');

    expect(resultA.code, resultA.stderr).toBe(0);
    expect(resultB.code, resultB.stderr).toBe(0);
    expect(await checkpointsOf(db)).toEqual(tips);
    expect(await doneRuns(db)).toBe(EVENTS);
    expect(summaryOf(resultA).processed + summaryOf(resultB).processed).toBeGreaterThanOrEqual(EVENTS);
  }, 180_000);

  it('Given a pipeline full enough to hold back part of a batch, When a second agent joins, Then no event is submitted twice: each step runs once and each failure is parked once', async () => {
    const events = 4_000;
    const { dir, db, runsLog } = givenAnAgent({ stepMs: 20, drainTimeoutMs: 30_000, failEvery: 10 });
    // Partitions 2 and 3 stay empty: A gives them up when B joins, and every batch it holds back is of 0 and 1.
    const tips = await seed(db, events, [0, 1]);

    const a = consume(dir, true);
    await delay(1_500);
    const b = consume(dir, false);
    const resultA = await exitOf(a, 'agent A', 90_000);
    await expect.poll(() => checkpointsOf(db), { timeout: 30_000, interval: 200 }).toEqual(tips);
    b.child.kill('SIGTERM');
    const resultB = await exitOf(b, 'agent B');

    expect(resultA.code, resultA.stderr).toBe(0);
    expect(resultB.code, resultB.stderr).toBe(0);
    expect(resultA.lines<{ type: string }>().some((l) => l.type === 'revoked')).toBe(true);
    const counts = executions(runsLog);
    expect(counts.size).toBe(events);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    const store = await openSqliteStore({ path: db, readonly: true });
    onTestFinished(() => store.close());
    expect(await store.failed.count()).toBe(events / 10);
    const [sa, sb] = [summaryOf(resultA), summaryOf(resultB)];
    expect(sa.processed + sa.parked + sb.processed + sb.parked).toBe(events);
  }, 180_000);
});

describe('agentctl consume: stopping during slow work', () => {
  it('Given steps slower than the drain timeout, When the consumer drains and a second SIGINT follows, Then it stops at once instead of waiting out the drain', async () => {
    const { dir, db, startedLog } = givenAnAgent({ stepMs: 120_000, drainTimeoutMs: 120_000 });
    await seed(db, 10);
    const a = consume(dir, false);
    await expect
      .poll(() => executions(startedLog).size, { timeout: 30_000, interval: 100 })
      .toBeGreaterThan(0);

    a.child.kill('SIGINT');
    await expect.poll(() => a.stdout().includes('"action":"drain"'), { timeout: 10_000 }).toBe(true);
    await delay(500);
    a.child.kill('SIGINT');
    // Far less than the step or the drain timeout (2 minutes each): the second SIGINT does not wait.
    const result = await exitOf(a, 'the terminated consumer', 30_000);

    expect(result.stdout).toContain('"action":"terminate"');
    expect(summaryOf(result).stoppedBy).toBe('terminate');
    expect(await checkpointsOf(db)).toEqual(new Map());
  }, 120_000);
});

describe('agentctl consume: a lease taken over', () => {
  it('Given an agent stalled with work in flight, When another agent takes its partitions over and it wakes, Then its checkpoints are refused and it stops the work of those partitions', async () => {
    const { dir, db, startedLog } = givenAnAgent({ stepMs: 3_000, drainTimeoutMs: 30_000 });
    const tips = await seed(db, EVENTS);
    const a = consume(dir, false);
    const pidA = a.child.pid!;
    const startsBy = (pid: number) =>
      existsSync(startedLog)
        ? readFileSync(startedLog, 'utf8')
            .split('\n')
            .filter((l) => l.startsWith(`${pid} `)).length
        : 0;
    await expect.poll(() => startsBy(pidA), { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);

    a.child.kill('SIGSTOP');
    onTestFinished(() => {
      a.child.kill('SIGCONT');
    });
    // Once A's heartbeat is stale, B counts A's partitions as waiting for an owner (not settled).
    await delay(2_500);
    const b = consume(dir, true);
    const resultB = await exitOf(b, 'agent B');
    expect(resultB.code, resultB.stderr).toBe(0);
    expect(await checkpointsOf(db)).toEqual(tips);
    const inFlightAtStop = startsBy(pidA);
    a.child.kill('SIGCONT');
    await expect
      .poll(() => a.stdout().includes('"reason":"lost"'), { timeout: 30_000, interval: 100 })
      .toBe(true);
    // Let whatever A still runs of the lost partitions come to light (its steps take 3 s).
    await delay(8_000);
    a.child.kill('SIGTERM');
    const resultA = await exitOf(a, 'agent A');

    expect(resultA.code, resultA.stderr).toBe(0);
    // What A had started when it stalled finishes; it starts at most one more round (concurrency 8)
    // before it learns of the loss, and never works through the rest of the lost partitions.
    expect(startsBy(pidA)).toBeLessThanOrEqual(inFlightAtStop + 8);
    const store = await openSqliteStore({ path: db, readonly: true });
    onTestFinished(() => store.close());
    const owners = [...(await store.checkpoints.get('orders', 'local:events')).values()].map((c) => c.owner);
    // A wrote no checkpoint after the takeover: not under its lost lease, nor under the one it took again.
    expect(new Set(owners)).toEqual(new Set([summaryOf(resultB).agent]));
    expect(await checkpointsOf(db)).toEqual(tips);
  }, 180_000);
});
