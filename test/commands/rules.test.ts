import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runIdOf } from '../../src/core/model/run-id.js';
import type { RuleDescription, RuleTestReport } from '../../src/core/ops/rules.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvent } from '../core/agent/fixtures.js';
import { agentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * An agent with three rules: `record-order` (every created submission, with params), `notify-big`
 * (only when n ≥ 100) and `fragile` (throws on `submission.broken`).
 */
function givenAnAgent(): string {
  const dir = tempDir('rules-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      publisher: { sink: 'none' },
      rules: [
        rule({ name: 'record-order', on: 'submission.created', process: 'record', params: (e) => ({ n: e.data.n }) }),
        rule({ name: 'notify-big', on: ['submission.created', 'submission.updated'], when: (e) => e.data.n >= 100, process: 'notify' }),
        rule({ name: 'fragile', on: 'submission.*', when: (e) => { if (e.type === 'submission.broken') throw new Error('no sub-field'); return false; }, process: 'notify' }),
      ],
      processes: [
        defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] }),
        defineProcess({ name: 'notify', steps: [{ name: 'render', run: () => 'text' }, { name: 'send', run: () => true }] }),
      ],
    }`,
  );
  return dir;
}

async function runsIn(db: string): Promise<string> {
  const store = await openSqliteStore({ path: db, readonly: true });
  try {
    return JSON.stringify(await store.runs.list({ limit: 10_000 }));
  } finally {
    await store.close();
  }
}

describe('agentctl rules', () => {
  it('list --json shows each rule with its match, condition, params and process steps', () => {
    const dir = givenAnAgent();

    const list = agentctl(['rules', 'list', '--json'], { cwd: dir });

    expect(list.code, list.stderr).toBe(0);
    expect(list.json<RuleDescription[]>()).toEqual([
      {
        name: 'record-order',
        on: ['submission.created'],
        process: 'record',
        condition: false,
        params: true,
        steps: ['note'],
      },
      {
        name: 'notify-big',
        on: ['submission.created', 'submission.updated'],
        process: 'notify',
        condition: true,
        params: false,
        steps: ['render', 'send'],
      },
      {
        name: 'fragile',
        on: ['submission.*'],
        process: 'notify',
        condition: true,
        params: false,
        steps: ['render', 'send'],
      },
    ]);
  });

  it('test --event FILE shows the matches and their run ids, without a store to look runs up in', () => {
    const dir = givenAnAgent();
    const event = submissionEvent(150);
    writeFileSync(join(dir, 'event.json'), JSON.stringify(event, null, 2));

    const test = agentctl(['rules', 'test', '--event', 'event.json', '--json'], { cwd: dir });

    expect(test.code, test.stderr).toBe(0);
    const report = test.json<RuleTestReport>();
    expect(report.checkedStore).toBe(false);
    expect(existsSync(join(dir, '.agentctl'))).toBe(false);
    expect(report.events).toEqual([
      {
        index: 1,
        eventId: event.id,
        eventType: 'submission.created',
        outcome: 'matched',
        matches: [
          {
            rule: 'record-order',
            process: 'record',
            params: { n: 150 },
            runId: runIdOf('orders', event, 'record-order'),
            steps: ['note'],
            wouldSkip: false,
          },
          {
            rule: 'notify-big',
            process: 'notify',
            runId: runIdOf('orders', event, 'notify-big'),
            steps: ['render', 'send'],
            wouldSkip: false,
          },
        ],
      },
    ]);
  });

  it('test --event - reads NDJSON from stdin, marks runs that already succeeded, reports a throwing rule, and writes nothing', async () => {
    const dir = givenAnAgent();
    const db = join(dir, '.agentctl', 'agent.db');
    const seeding = await openSqliteStore({ path: db });
    await publish(seeding, [submissionEvent(1)]);
    await seeding.close();
    expect(agentctl(['consume', '--until-empty'], { cwd: dir }).code).toBe(0);
    const runsBefore = await runsIn(db);
    const fresh = submissionEvent(2);
    const input = [
      submissionEvent(1),
      fresh,
      submissionEvent(3, 'submission.broken'),
      submissionEvent(4, 'invoice.paid'),
    ]
      .map((e) => JSON.stringify(e))
      .concat('{"not": "an event"}')
      .join('\n');

    const test = agentctl(['rules', 'test', '--event', '-', '--json'], { cwd: dir, input });

    expect(test.code, test.stderr).toBe(0);
    const report = test.json<RuleTestReport>();
    expect(report.checkedStore).toBe(true);
    expect(report.events.map((e) => e.outcome)).toEqual([
      'matched',
      'matched',
      'rule-error',
      'unmatched',
      'decode-error',
    ]);
    expect(report.events[0]!.matches).toEqual([
      expect.objectContaining({ rule: 'record-order', recorded: 'succeeded', wouldSkip: true }),
    ]);
    expect(report.events[1]!.matches).toEqual([
      expect.objectContaining({
        rule: 'record-order',
        runId: runIdOf('orders', fresh, 'record-order'),
        wouldSkip: false,
      }),
    ]);
    expect(report.events[1]!.matches[0]).not.toHaveProperty('recorded');
    expect(report.events[2]!.error).toEqual({ rule: 'fragile', message: 'no sub-field' });
    expect(report.events[4]!.error?.message).toContain('not a CloudEvent');
    expect(report.totals).toEqual({ events: 5, matched: 2, unmatched: 1, errors: 2, runs: 2, wouldSkip: 1 });
    expect(await runsIn(db)).toBe(runsBefore);
  });

  it('test prints what would happen to each event for a person', () => {
    const dir = givenAnAgent();
    writeFileSync(
      join(dir, 'events.ndjson'),
      [submissionEvent(5), submissionEvent(6, 'submission.broken')].map((e) => JSON.stringify(e)).join('\n'),
    );

    const test = agentctl(['rules', 'test', '-e', 'events.ndjson'], { cwd: dir });

    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toContain('record-order → record [note]');
    expect(test.stdout).toContain('would run');
    expect(test.stdout).toContain('rule "fragile" threw: no sub-field (would be parked: rule)');
    expect(test.stdout).toContain('2 events: 1 matched, 0 unmatched, 1 errors; 1 runs, 0 would be skipped');
  });

  it('test --where keeps the events it matches, by their event or by what the rules would do; true keeps all; a bad one exits 2', () => {
    const dir = givenAnAgent();
    const events = [
      submissionEvent(1),
      submissionEvent(2, 'invoice.paid'),
      submissionEvent(3, 'submission.broken'),
      submissionEvent(4),
    ];
    writeFileSync(join(dir, 'events.ndjson'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"x":1}`);
    const test = (...extra: string[]) =>
      agentctl(['rules', 'test', '-e', 'events.ndjson', '--json', ...extra], { cwd: dir });
    const indexes = (run: ReturnType<typeof test>) => run.json<RuleTestReport>().events.map((e) => e.index);

    const all = test();
    expect(indexes(test('--where', 'true'))).toEqual(indexes(all));
    expect(indexes(all)).toEqual([1, 2, 3, 4, 5]);

    const created = test('--where', 'event.type == "submission.created"');
    expect(created.code, created.stderr).toBe(0);
    expect(indexes(created)).toEqual([1, 4]);
    expect(created.json<RuleTestReport>().filteredOut).toBe(3);
    expect(created.json<RuleTestReport>().totals).toMatchObject({ events: 2, matched: 2 });

    expect(indexes(test('--where', '"record-order" in rules'))).toEqual([1, 4]);
    expect(indexes(test('--where', 'outcome == "unmatched"'))).toEqual([2]);
    expect(indexes(test('--where', 'outcome == "decode-error" && event == null'))).toEqual([5]);
    expect(indexes(test('--where', 'has(event.data.n) && event.data.n > 2'))).toEqual([3, 4]);

    const pretty = agentctl(['rules', 'test', '-e', 'events.ndjson', '--where', 'outcome == "unmatched"'], {
      cwd: dir,
    });
    expect(pretty.stdout).toContain('(4 more events left out by --where)');

    const bad = test('--where', 'event.type ==');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--where is not a valid CEL filter at column \d+/);
  });

  it('test fails with a clear error when the event file cannot be read', () => {
    const dir = givenAnAgent();

    const test = agentctl(['rules', 'test', '--event', 'missing.json'], { cwd: dir });

    expect(test.code).toBe(2);
    expect(test.stderr).toContain('error: cannot read missing.json');
  });
});
