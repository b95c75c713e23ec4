import { describe, expect, it } from 'vitest';
import { FatalError } from '../../../src/core/errors/fatal-error.js';
import { isPoisonStormError } from '../../../src/core/errors/poison-storm-error.js';
import { defineProcess } from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { END_OF_PARTITION } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';
import {
  countingProcess,
  openStore,
  publish,
  slowProcess,
  submissionEvent,
  submissionEvents,
  testAgent,
} from './fixtures.js';

describe('Agent on the local log', () => {
  it('Given events in the log, When it consumes until empty, Then every event runs once, checkpoints sit at the tips, and a second run reads nothing', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(500));
    const counts = new Map<string, number>();
    const options = {
      rules: [rule({ name: 'classify-new', on: 'submission.created', process: 'classify' })],
      processes: [countingProcess('classify', counts)],
    };

    const summary = await testAgent(store, options).run();

    expect(summary).toMatchObject({ read: 500, processed: 500, parked: 0, unmatched: 0, stoppedBy: 'empty' });
    expect(summary.runs.succeeded).toBe(500);
    expect(counts.size).toBe(500);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const checkpoints = await store.checkpoints.get('test-agent', 'local:events');
    for (let p = 0; p < 4; p++) {
      const { latest } = await store.log.bounds('events', p);
      expect(checkpoints.get(String(p))?.position).toBe(String(latest));
    }
    expect((await store.runs.countByState('test-agent'))[0]).toEqual({
      process: 'classify',
      state: 'succeeded',
      count: 500,
    });

    const again = await testAgent(store, options).run();
    expect(again.read).toBe(0);
    expect(counts.size).toBe(500);
    await store.close();
  });

  it('Given checkpoints reset, When the events are read again, Then every run is skipped as already succeeded and no step runs twice', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(120));
    const counts = new Map<string, number>();
    const options = {
      rules: [
        rule({ name: 'first', on: 'submission.*', process: 'one' }),
        rule({ name: 'second', on: 'submission.created', process: 'two' }),
      ],
      processes: [countingProcess('one', counts), countingProcess('two', new Map())],
    };
    await testAgent(store, options).run();
    await store.checkpoints.delete('test-agent', 'local:events');

    const again = await testAgent(store, options).run();

    expect(again.read).toBe(120);
    expect(again.skippedRuns).toBe(240);
    expect(again.runs.succeeded).toBe(0);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await store.close();
  });

  it('Given bad input and failing steps, When consumed, Then each failure is parked with its reason and the consumer goes on', async () => {
    const store = await openStore(tempDir());
    await publish(store, [
      submissionEvent(1),
      '{not json',
      JSON.stringify({ hello: 'no envelope' }),
      submissionEvent(2, 'submission.finalized', { explode: true }),
      submissionEvent(3, 'submission.withdrawn', { reject: true }),
      submissionEvent(4, 'submission.withdrawn', { flaky: true }),
      submissionEvent(5, 'user.created'),
      submissionEvent(6),
    ]);
    const summary = await testAgent(store, {
      rules: [
        rule({ name: 'classify-new', on: 'submission.created', process: 'ok' }),
        rule({
          name: 'broken-rule',
          on: 'submission.finalized',
          when: (e) => {
            if ((e.data as { explode?: boolean }).explode) throw new Error('boom in rule');
            return true;
          },
          process: 'ok',
        }),
        rule({ name: 'withdraw', on: 'submission.withdrawn', process: 'withdraw' }),
      ],
      processes: [
        defineProcess({ name: 'ok', steps: [{ name: 'noop', run: () => 'fine' }] }),
        defineProcess({
          name: 'withdraw',
          steps: [
            {
              name: 'notify',
              retry: { maxRetries: 2, baseMs: 1, maxMs: 2, jitter: 0 },
              run: ({ event }) => {
                const data = event.data as { reject?: boolean; flaky?: boolean };
                if (data.reject) throw new FatalError('withdrawal refused by policy');
                if (data.flaky) throw new Error('mail server 503');
                return 'sent';
              },
            },
          ],
        }),
      ],
    }).run();

    expect(summary).toMatchObject({ read: 8, parked: 5, unmatched: 1, processed: 2 });
    const parked = await store.failed.list();
    const byReason = (reason: string) => parked.filter((p) => p.reason === reason);
    expect(byReason('decode')).toHaveLength(2);
    expect(new TextDecoder().decode(byReason('decode')[0]!.raw)).toBe('{not json');
    expect(byReason('rule')).toMatchObject([
      { rule: 'broken-rule', eventId: 'evt-2', error: 'rule "broken-rule" threw: boom in rule' },
    ]);
    const processFailures = byReason('process').sort((a, b) => (a.eventId! < b.eventId! ? -1 : 1));
    expect(processFailures.map((p) => [p.eventId, p.process, p.attempts])).toEqual([
      ['evt-3', 'withdraw', 1],
      ['evt-4', 'withdraw', 3],
    ]);
    expect(processFailures[0]!.error).toContain('withdrawal refused by policy');
    const failedRuns = await store.runs.list({ state: 'failed' });
    expect(failedRuns.map((r) => [r.eventId, r.fatal])).toEqual(
      expect.arrayContaining([
        ['evt-3', true],
        ['evt-4', false],
      ]),
    );
    const checkpoints = await store.checkpoints.get('test-agent', 'local:events');
    const total = [...checkpoints.values()].reduce((n, c) => n + Number(c.position) + 1, 0);
    expect(total).toBe(8);
    await store.close();
  });

  it('Given every event failing, When consumed, Then the consumer stops with a poison-storm error instead of parking everything', async () => {
    const store = await openStore(tempDir());
    await publish(
      store,
      Array.from({ length: 200 }, (_, i) => `garbage-${i}`),
    );
    const agent = testAgent(store, {
      rules: [],
      processes: [],
      consumer: { poisonLimit: { maxConsecutive: 25, maxRatio: 1, window: 100 } },
    });

    const error = await agent.run().catch((e: unknown) => e);

    expect(isPoisonStormError(error)).toBe(true);
    expect((error as Error).message).toMatch(/25 messages failed in a row/);
    expect(agent.state.value).toBe('ERROR');
    expect(agent.stats.parked).toBe(25);
    const parked = await store.failed.count();
    expect(parked).toBe(25);
    await store.close();
  });

  it('Given every run failing at once (synchronously), When consumed inline or by a pool, Then it runs and parks maxConsecutive (plus the pool in flight), not the poll, and records every run that ran', async () => {
    for (const runner of [{ kind: 'inline' as const }, { kind: 'pool' as const, concurrency: 4 }]) {
      const store = await openStore(tempDir());
      await publish(store, submissionEvents(600));
      let executed = 0;
      const agent = testAgent(store, {
        rules: [rule({ name: 'r', on: 'submission.created', process: 'refuse' })],
        processes: [
          defineProcess({
            name: 'refuse',
            steps: [
              {
                name: 'no',
                run: () => {
                  executed++;
                  throw new FatalError('no');
                },
              },
            ],
          }),
        ],
        runner,
        consumer: { poisonLimit: { maxConsecutive: 25, maxRatio: 1, window: 100 } },
      });

      const error = await agent.run().catch((e: unknown) => e);

      expect(isPoisonStormError(error), String(error)).toBe(true);
      expect(agent.stats.parked).toBeGreaterThanOrEqual(25);
      const alsoInFlight = runner.kind === 'pool' ? runner.concurrency - 1 : 0;
      expect(agent.stats.parked).toBeLessThanOrEqual(25 + alsoInFlight);
      expect(executed).toBe(agent.stats.parked);
      expect(await store.failed.count()).toBe(agent.stats.parked);
      const runs = (await store.runs.countByState()).reduce((n, r) => n + r.count, 0);
      expect(runs).toBe(executed);
      await store.close();
    }
  });

  it('Given a running agent, When another process asks it to drain through the store, Then it finishes in flight, commits, exits, and reports what it did', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(50));
    const agent = testAgent(store, {
      rules: [rule({ name: 'r', on: 'submission.created', process: 'slow' })],
      processes: [slowProcess(5)],
      consumer: { untilEmpty: false },
    });
    const running = agent.run();
    await agent.state.waitUntil(['ACTIVE', 'STEADY'], 5_000);
    const request = await store.control.request(agent.id, 'drain');

    const summary = await running;

    expect(summary.stoppedBy).toBe('drain');
    const done = await store.control.get(request.id);
    expect(done?.status).toBe('done');
    expect(done?.result).toMatchObject({ read: summary.read, processed: summary.processed });
    const checkpoints = await store.checkpoints.get('test-agent', 'local:events');
    const committed = [...checkpoints.values()].reduce((n, c) => n + Number(c.position) + 1, 0);
    expect(committed).toBe(summary.processed);
    expect((await store.agents.get(agent.id))?.state).toBe('SHUTDOWN');
    await store.close();
  });

  it('Given two agents on one store, When both consume, Then they split the partitions 2/2 and together run every event once; when one stops the other takes all', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const other = await openStore(dir);
    const counts = new Map<string, number>();
    const options = (id: string) => ({
      id,
      rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
      processes: [countingProcess('p', counts)],
      consumer: { untilEmpty: false, leaseTtlMs: 600 },
    });
    const a = testAgent(store, options('agent-a'));
    const b = testAgent(other, options('agent-b'));
    const runningA = a.run();
    const runningB = b.run();
    await publish(store, submissionEvents(400));

    const split = async () => {
      const leases = await store.leases.list('test-agent', 'local:events');
      const live = leases.filter((l) => l.owner !== '' && l.expiresAt > Date.now());
      return ['agent-a', 'agent-b'].map((o) => live.filter((l) => l.owner === o).length);
    };
    await expect.poll(split, { timeout: 8_000, interval: 100 }).toEqual([2, 2]);
    await expect.poll(() => counts.size, { timeout: 8_000 }).toBe(400);

    b.requestDrain();
    await runningB;
    await expect.poll(split, { timeout: 8_000, interval: 100 }).toEqual([4, 0]);
    await publish(store, submissionEvents(100, 1000));
    await expect.poll(() => counts.size, { timeout: 8_000 }).toBe(500);
    a.requestDrain();
    await runningA;

    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await store.close();
    await other.close();
  });

  it('Given a pipeline slower than the source, When rejections last, Then the partition is paused and resumed, and nothing is lost', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(1_500));
    const counts = new Map<string, number>();
    const agent = testAgent(store, {
      rules: [rule({ name: 'r', on: 'submission.created', process: 'slow' })],
      processes: [slowProcess(1, (event) => counts.set(event.id, (counts.get(event.id) ?? 0) + 1))],
      runner: { kind: 'pool', concurrency: 8 },
      consumer: { pauseAfterMs: 5 },
    });
    const pauses: boolean[] = [];
    agent.telemetry.on('backpressure', (e) => pauses.push(e.paused));

    const summary = await agent.run();

    expect(summary.processed).toBe(1_500);
    expect(counts.size).toBe(1_500);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(pauses).toContain(true);
    expect(pauses).toContain(false);
    await store.close();
  });

  it('Given a process that publishes, When events are consumed, Then its records land in the sink topic with the run id', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    await publish(store, submissionEvents(20));
    const { LocalLogSink } = await import('../../../src/core/publish/sinks/local-log-sink.js');
    const summary = await testAgent(store, {
      rules: [rule({ name: 'r', on: 'submission.created', process: 'score' })],
      processes: [
        defineProcess({
          name: 'score',
          publish: true,
          steps: [{ name: 's', run: ({ event }) => ({ score: event.id.length }) }],
        }),
      ],
      publisher: { sink: new LocalLogSink(store, 'results') },
    }).run();

    expect(summary.delivered).toBe(20);
    const records = [];
    for (let p = 0; p < 4; p++) records.push(...(await store.log.read('results', p, -1, 100)));
    expect(records).toHaveLength(20);
    const values = records.map((r) => JSON.parse(new TextDecoder().decode(r.value)));
    expect(values[0]).toMatchObject({ rule: 'r', process: 'score', output: { score: expect.any(Number) } });
    expect(new Set(values.map((v) => v.runId)).size).toBe(20);
    await store.close();
  });

  it('Given an event whose one run fails and another publishes, When consumed, Then the result is published and the event parked', async () => {
    const store = await openStore(tempDir());
    await publish(store, [submissionEvent(1)]);
    const { LocalLogSink } = await import('../../../src/core/publish/sinks/local-log-sink.js');
    const summary = await testAgent(store, {
      rules: [
        rule({ name: 'score-it', on: 'submission.created', process: 'score' }),
        rule({ name: 'mail-it', on: 'submission.created', process: 'mail' }),
      ],
      processes: [
        defineProcess({ name: 'score', publish: true, steps: [{ name: 's', run: () => ({ score: 7 }) }] }),
        defineProcess({
          name: 'mail',
          steps: [
            {
              name: 'send',
              run: () => {
                throw new FatalError('no recipient');
              },
            },
          ],
        }),
      ],
      publisher: { sink: new LocalLogSink(store, 'results') },
    }).run();

    expect(summary).toMatchObject({ parked: 1, delivered: 1 });
    const records = [];
    for (let p = 0; p < 4; p++) records.push(...(await store.log.read('results', p, -1, 10)));
    expect(records.map((r) => JSON.parse(new TextDecoder().decode(r.value)).rule)).toEqual(['score-it']);
    expect(await store.failed.list()).toMatchObject([
      { reason: 'process', rule: 'mail-it', eventId: 'evt-1' },
    ]);
    await store.close();
  });

  it('Given an inline runner working through a long batch, When the commit interval passes, Then it commits during the batch', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(120));
    const agent = testAgent(store, {
      rules: [rule({ name: 'r', on: 'submission.created', process: 'slow' })],
      processes: [slowProcess(4)],
      consumer: { pollMax: 500, commitPolicy: { intervalMs: 50, messages: 1_000_000 } },
    });
    const commits: number[] = [];
    agent.telemetry.on('commit', () => commits.push(agent.stats.done));

    const summary = await agent.run();

    expect(summary.processed).toBe(120);
    // One poll batch holds all 120 events; without commits during it there would be a single one at the end.
    expect(commits.filter((done) => done > 0 && done < 120).length).toBeGreaterThanOrEqual(3);
    await store.close();
  });

  it('Given async steps on a pool runner, When consuming with maxEvents, Then it stops once those events are done', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(300));
    const counts = new Map<string, number>();
    const summary = await testAgent(store, {
      rules: [rule({ name: 'r', on: 'submission.created', process: 'slow' })],
      processes: [slowProcess(2, (event) => counts.set(event.id, 1))],
      runner: { kind: 'pool', concurrency: 8 },
      consumer: { untilEmpty: false, maxEvents: 150 },
    }).run();

    expect(summary).toMatchObject({ read: 150, processed: 150, stoppedBy: 'max-events' });
    expect(counts.size).toBe(150);
    await store.close();
  });

  it('Given a running agent, When it heartbeats, Then the store holds its state and a status snapshot with partitions and counters', async () => {
    const store = await openStore(tempDir());
    await publish(store, submissionEvents(40));
    const agent = testAgent(store, {
      rules: [rule({ name: 'r', on: 'submission.created', process: 'p' })],
      processes: [countingProcess('p', new Map())],
      consumer: { untilEmpty: false },
    });
    const running = agent.run();
    await expect
      .poll(async () => (await store.agents.get(agent.id))?.snapshot?.counters.processed, { timeout: 5_000 })
      .toBe(40);
    const record = await store.agents.get(agent.id);
    expect(record?.snapshot?.partitions.map((p) => p.partition).sort()).toEqual(['0', '1', '2', '3']);
    expect(record?.snapshot?.partitions.every((p) => p.owner === agent.id)).toBe(true);
    expect(['ACTIVE', 'STEADY']).toContain(record?.state);
    agent.requestDrain();
    await running;
    expect((await store.agents.get(agent.id))?.state).toBe('SHUTDOWN');
    expect(END_OF_PARTITION).toBe('END');
    await store.close();
  });
});
