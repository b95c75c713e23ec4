import { afterAll, describe, expect, it } from 'vitest';
import { agentPipeline } from '../../../src/core/agent/agent-pipeline.js';
import { FakeClock } from '../../../src/core/clock.js';
import { FatalError } from '../../../src/core/errors/fatal-error.js';
import { type CloudEvent, decodeCloudEvent, encodeEvent } from '../../../src/core/events/cloud-event.js';
import { Stats } from '../../../src/core/model/stats.js';
import { defineProcess, ProcessRegistry } from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import { InlineRunner } from '../../../src/core/runners/inline-runner.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { failureText } from '../../../src/core/strategies/dead-letter.js';
import type { InvalidMessage } from '../../../src/core/strategies/processing-strategy.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';
import type { Bytes, Message } from '../../../src/core/types.js';
import { CommitLog } from '../../support/collect.js';
import { message } from '../../support/messages.js';
import { feed, finish } from '../strategies/strategy-behaviour.js';

const store = await openSqliteStore({ path: ':memory:' });
afterAll(() => store.close());

const encoder = new TextEncoder();

function event(id: string, type: string): CloudEvent {
  return { specversion: '1.0', id, type, source: 'shop', data: {} };
}

/** Position 0: not JSON; 1: an event no rule matches; 2: an event whose run fails for good. */
function inputs(): Message<Bytes>[] {
  const payloads = [
    encoder.encode('not json'),
    encodeEvent(event('e1', 'order.viewed')),
    encodeEvent(event('e2', 'order.paid')),
  ];
  return payloads.map((bytes, i) => message(bytes, { partition: 'p0', position: String(i), raw: bytes }));
}

function build(onInvalid?: (error: InvalidMessage) => void) {
  const clock = new FakeClock(1_800_000_000_000);
  const journal = new Journal();
  const stats = new Stats();
  const log = new CommitLog();
  const strategy = agentPipeline({
    group: 'billing',
    source: 'local:orders',
    worker: 'test',
    decoder: decodeCloudEvent,
    rules: new RuleSet([rule({ name: 'bill', on: 'order.paid', process: 'billing' })]),
    processes: new ProcessRegistry([
      defineProcess({
        name: 'billing',
        steps: [
          {
            name: 'charge',
            run: () => {
              throw new FatalError('card declined');
            },
          },
        ],
      }),
    ]),
    runner: new InlineRunner({ clock, journal, stats }),
    runs: store.runs,
    stats,
    clock,
    via: 'replay',
    ...(onInvalid === undefined ? {} : { onInvalid }),
  }).create({
    partitions: new Set(['p0']),
    commit: log.commit,
    journal,
    clock,
    telemetry: new Telemetry(),
    signal: new AbortController().signal,
  });
  return { strategy, journal, log };
}

describe('agentPipeline failure exit', () => {
  it('given the default exit, when a message cannot be decoded and a run fails, then both are parked and marked done', async () => {
    const { strategy, journal, log } = build();
    await feed(strategy, inputs());
    await finish(strategy);
    expect(journal.take().parked.map((p) => [p.position, p.reason, p.via])).toEqual([
      ['0', 'decode', 'replay'],
      ['2', 'process', 'replay'],
    ]);
    expect(log.entries.map((e) => [e.message.position, e.outcome])).toEqual([
      ['0', 'parked'],
      ['1', 'unmatched'],
      ['2', 'parked'],
    ]);
  });

  it('given an exit of its own (replay --failed), when the same messages fail, then it gets each failure and nothing is parked or marked done for them', async () => {
    const handed: InvalidMessage[] = [];
    const { strategy, journal, log } = build((error) => handed.push(error));
    await feed(strategy, inputs());
    await finish(strategy);
    expect(handed.map((e) => [e.subject.position, e.reason, failureText(e)])).toEqual([
      ['0', 'decode', expect.any(String)],
      ['2', 'process', 'step "charge": card declined'],
    ]);
    expect(journal.take().parked).toEqual([]);
    expect(log.entries.map((e) => [e.message.position, e.outcome])).toEqual([['1', 'unmatched']]);
  });
});
