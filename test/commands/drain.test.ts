import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CheckpointRow } from '../../src/core/ops/checkpoint-list.js';
import type { DrainResult } from '../../src/core/ops/drain.js';
import { openSqliteStore, type SqliteStateStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvents } from '../core/agent/fixtures.js';
import { agentctl, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const EVENTS = 30;

/**
 * An agent `orders` whose commit policy never commits on its own (an hour, a million messages): what
 * is committed when it stops was committed by the drain.
 */
function givenAnAgent(): { dir: string; db: string } {
  const dir = tempDir('drain-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { heartbeatMs: 100, commitPolicy: { intervalMs: 3_600_000, messages: 1_000_000 } },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
    }`,
  );
  return { dir, db: join(dir, '.agentctl', 'agent.db') };
}

/** How many events the running agents of the store report as done, from their last heartbeat. */
async function doneByAgents(db: string): Promise<number> {
  const store = await openSqliteStore({ path: db, readonly: true }).catch(() => undefined);
  if (store === undefined) return 0;
  try {
    const agents = await store.agents.list();
    return agents.reduce((sum, a) => sum + (a.snapshot?.counters.processed ?? 0), 0);
  } finally {
    await store.close();
  }
}

/** An agent record of group `orders` that heartbeats (it reads no control requests). */
function heartbeatOf(store: SqliteStateStore, id: string) {
  return store.agents.heartbeat({
    id,
    name: 'orders',
    group: 'orders',
    host: 'test',
    pid: 1,
    source: 'local:events',
    state: 'STEADY',
    startedAt: Date.now(),
    version: 'test',
  });
}

async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(100);
  }
}

describe('agentctl drain', () => {
  it('stops a running consume cleanly: it exits 0, what it read is committed, and drain reports its result', async () => {
    const { dir, db } = givenAnAgent();
    const seeding = await openSqliteStore({ path: db });
    await publish(seeding, submissionEvents(EVENTS));
    await seeding.close();
    const consumer = startAgentctl(['consume', '--json'], { cwd: dir });
    onTestFinished(() => {
      if (consumer.child.exitCode === null) consumer.child.kill('SIGKILL');
    });
    await eventually(
      async () => (await doneByAgents(db)) === EVENTS,
      `the consumer to process ${EVENTS} events`,
    );
    const uncommitted = agentctl(['checkpoint', 'list', '--json'], { cwd: dir }).json<CheckpointRow[]>();
    expect(uncommitted.every((r) => r.position === undefined)).toBe(true);

    const drain = agentctl(['drain', '--json', '--timeout', '30'], { cwd: dir });

    expect(drain.code, drain.stderr).toBe(0);
    const result = drain.json<DrainResult>();
    expect(result.agent.id).toMatch(/^orders@.+#\d+$/);
    expect(result.agent.pid).toBe(consumer.child.pid);
    expect(result.result).toMatchObject({ read: EVENTS, processed: EVENTS, parked: 0, stoppedBy: 'drain' });
    const exit = await consumer.done;
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.lines<{ type: string; stoppedBy?: string }>().at(-1)).toMatchObject({
      type: 'summary',
      stoppedBy: 'drain',
    });
    const committed = agentctl(['checkpoint', 'list', '--json'], { cwd: dir }).json<CheckpointRow[]>();
    expect(committed).toHaveLength(4);
    for (const row of committed) expect(row).toMatchObject({ position: row.latest, lagRecords: 0 });
  });

  it('tells the operator drain is done in plain text too', async () => {
    const { dir, db } = givenAnAgent();
    const consumer = startAgentctl(['consume'], { cwd: dir });
    onTestFinished(() => {
      if (consumer.child.exitCode === null) consumer.child.kill('SIGKILL');
    });
    await eventually(async () => {
      const store = await openSqliteStore({ path: db, readonly: true }).catch(() => undefined);
      const running = (await store?.agents.list({ aliveWithinMs: 5_000 }))?.some((a) => a.state !== 'BOOT');
      await store?.close();
      return running === true;
    }, 'the consumer to heartbeat');

    const drain = agentctl(['drain'], { cwd: dir });

    expect(drain.code, drain.stderr).toBe(0);
    expect(drain.stderr).toMatch(/asked orders@.+ to drain \(request #1\)/);
    expect(drain.stdout).toMatch(/^orders@.+ drained in .+ and stopped \(drain\)/);
    expect((await consumer.done).code).toBe(0);
  });

  it('fails with a clear error when no agent is running', async () => {
    const { dir, db } = givenAnAgent();
    await (await openSqliteStore({ path: db })).close();

    const drain = agentctl(['drain'], { cwd: dir });

    expect(drain.code).toBe(2);
    expect(drain.stderr).toContain('error: no running agent of "orders"');
    expect(drain.stderr).toContain('try: start one with `agentctl consume`');
  });

  it('gives up after --timeout and says the request stays pending for the agent', async () => {
    const { dir, db } = givenAnAgent();
    const store = await openSqliteStore({ path: db });
    onTestFinished(() => store.close());
    const hung = setInterval(() => heartbeatOf(store, 'orders@stuck#7').catch(() => undefined), 200);
    onTestFinished(() => clearInterval(hung));
    await heartbeatOf(store, 'orders@stuck#7');

    const drain = agentctl(['drain', '--timeout', '1'], { cwd: dir });

    expect(drain.code).toBe(1);
    expect(drain.stderr).toContain('agent orders@stuck#7 has not finished draining within 1s');
    expect(drain.stderr).toContain('stays pending and the agent may still act on it');
    expect((await store.control.pending('orders@stuck#7')).map((r) => r.kind)).toEqual(['drain']);
  });

  it('asks which agent when several of the group are running', async () => {
    const { dir, db } = givenAnAgent();
    const store = await openSqliteStore({ path: db });
    onTestFinished(() => store.close());
    await heartbeatOf(store, 'orders@a#1');
    await heartbeatOf(store, 'orders@b#2');

    const drain = agentctl(['drain'], { cwd: dir });

    expect(drain.code).toBe(2);
    expect(drain.stderr).toMatch(/2 agents of "orders" are running: orders@(a#1|b#2), orders@(a#1|b#2)/);
    expect(drain.stderr).toContain('try: choose one with --agent');
    expect(await store.control.pending('orders@a#1')).toEqual([]);
  });

  it('fails with a clear error for an agent id it does not know', async () => {
    const { dir, db } = givenAnAgent();
    await (await openSqliteStore({ path: db })).close();

    const drain = agentctl(['drain', '--agent', 'orders@nowhere#1'], { cwd: dir });

    expect(drain.code).toBe(2);
    expect(drain.stderr).toContain('error: no agent "orders@nowhere#1"');
  });
});
