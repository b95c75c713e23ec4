import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../../src/core/clock.js';
import { type Contingency, contingency } from '../../../src/core/publish/contingency.js';
import type { PublishRecord } from '../../../src/core/publish/publisher.js';
import { RetryingPublisher } from '../../../src/core/publish/retrying-publisher.js';
import { MemorySink, type MemorySinkOptions } from '../../../src/core/publish/sinks/memory-sink.js';
import { Journal } from '../../../src/core/store/journal.js';
import {
  MessageRejected,
  type ProcessingStrategy,
} from '../../../src/core/strategies/processing-strategy.js';
import { Produce } from '../../../src/core/strategies/produce.js';
import type { Message } from '../../../src/core/types.js';
import { Collect } from '../../support/collect.js';
import { nth } from '../../support/messages.js';
import { strategyBehaviour } from './strategy-behaviour.js';

const encoder = new TextEncoder();

/** Message i publishes nothing when `i % 3 === 1`, two records when `i % 3 === 2`, else one; keys cycle. */
function recordsOf(i: number): PublishRecord[] {
  const count = [1, 0, 2][i % 3]!;
  return Array.from({ length: count }, (_, k) => ({
    id: `r${i}-${k}`,
    key: `k${i % 5}`,
    value: encoder.encode(JSON.stringify({ i, k })),
    timestamp: 1_700_000_000_000 + i,
    runId: `run-${i}`,
    origin: { source: 'local:orders', partition: nth(i).partition, position: nth(i).position },
  }));
}

interface RigOptions {
  readonly sink?: MemorySinkOptions;
  readonly contingency?: Partial<Contingency>;
  readonly maxInFlight?: number;
  readonly records?: (i: number) => PublishRecord[];
}

/**
 * A `Produce` of numbered messages over a `RetryingPublisher` and a `MemorySink`, both on a fake clock
 * (so sink latency and retry waits pass only when the test advances it); `Produce` itself bounds
 * `join` with the system clock.
 */
function build(options: RigOptions, next: ProcessingStrategy<number>) {
  const clock = new FakeClock(0);
  const sink = new MemorySink({ clock, ...options.sink });
  const journal = new Journal();
  const publisher = new RetryingPublisher({
    sink,
    contingency: contingency({
      maxRetries: 2,
      kind: 'constant',
      baseMs: 100,
      maxMs: 100,
      jitter: 0,
      ...options.contingency,
    }),
    journal,
    group: 'billing',
    clock,
  });
  const records = options.records ?? recordsOf;
  const produce = new Produce<number>(
    publisher,
    {
      recordsOf: records,
      ...(options.maxInFlight === undefined ? {} : { maxInFlight: options.maxInFlight }),
    },
    next,
  );
  return { produce, sink, journal, clock };
}

function rig(options: RigOptions = {}, next = new Collect<number>()) {
  return { ...build(options, next), next };
}

strategyBehaviour('Produce', (next) => build({}, next).produce, nth, {
  // The sink answers only when the fake clock moves, which it never does here.
  hanging: (next) => build({ sink: { latencyMs: 10 } }, next).produce,
  // No failure law: a record that cannot be delivered is parked by the publisher and its message goes on
  // (tested below); the publisher rejects only when aborted or closed, which stops the consumer.
});

strategyBehaviour(
  'Produce with a small in-flight window',
  (next) => build({ maxInFlight: 4 }, next).produce,
  nth,
);

/** A next step that records, at each submit, which of the sink's records were delivered by then. */
class Observing extends Collect<number> {
  readonly deliveredAtSubmit: string[][] = [];

  constructor(private readonly sink: () => MemorySink) {
    super();
  }

  override submit(message: Message<number>): void {
    super.submit(message);
    this.deliveredAtSubmit.push(this.sink().delivered.map((r) => r.id));
  }
}

/** Polls until `done()` or the fake clock went `limitMs` forward, in steps of 10 ms. */
async function drive(produce: Produce<number>, clock: FakeClock, done: () => boolean, limitMs = 5_000) {
  for (let waited = 0; !done() && waited <= limitMs; waited += 10) {
    void produce.poll();
    await clock.advance(10);
  }
  await flushMicrotasks();
  void produce.poll();
}

describe('Produce', () => {
  it('given messages with records, when published, then each message is forwarded in order once all its records were delivered', async () => {
    let sink: MemorySink | undefined;
    const next = new Observing(() => sink!);
    const setup = rig({ sink: { latencyMs: 10 } }, next);
    sink = setup.sink;
    const { produce, clock } = setup;
    for (const i of [0, 1, 2, 3]) produce.submit(nth(i));
    expect(produce.poll()).toBeUndefined();
    expect(next.payloads).toEqual([]);
    await drive(produce, clock, () => next.messages.length === 4);
    expect(next.payloads).toEqual([0, 1, 2, 3]);
    expect(sink.delivered.map((r) => r.id).sort()).toEqual(['r0-0', 'r2-0', 'r2-1', 'r3-0']);
    next.deliveredAtSubmit.forEach((delivered, i) => {
      for (const record of recordsOf(i)) expect(delivered).toContain(record.id);
    });
  });

  it('given a record that needs a retry, when a later message is delivered first, then it still waits for the earlier one', async () => {
    const { produce, sink, clock, next, journal } = rig({ sink: { latencyMs: 10 } });
    sink.failRecords((r) => r.id === 'r0-0');
    produce.submit(nth(0));
    produce.submit(nth(3));
    await flushMicrotasks();
    await clock.advance(10);
    await flushMicrotasks();
    expect(sink.delivered.map((r) => r.id)).toEqual(['r3-0']);
    expect(produce.poll()).toBeUndefined();
    expect(next.payloads).toEqual([]);
    sink.failRecords(undefined);
    await drive(produce, clock, () => next.messages.length === 2);
    expect(next.payloads).toEqual([0, 3]);
    const efforts = journal.take().efforts;
    expect(efforts.find((e) => e.recordId === 'r0-0')).toMatchObject({
      culmination: 'delivered',
      attempts: 2,
    });
  });

  it('given a sink that fails for good, when published, then the record is parked with reason publish and the message still goes on', async () => {
    const { produce, sink, clock, next, journal } = rig({ contingency: { maxRetries: 2, baseMs: 50 } });
    sink.setDown(true);
    produce.submit(nth(0));
    await drive(produce, clock, () => next.messages.length === 1);
    expect(next.payloads).toEqual([0]);
    expect(sink.sends).toEqual([1, 1, 1]);
    const batch = journal.take();
    const [record] = recordsOf(0);
    expect(batch.parked).toEqual([
      expect.objectContaining({
        reason: 'publish',
        kind: 'record',
        sink: 'memory',
        runId: 'run-0',
        source: 'local:orders',
        partition: 'p0',
        position: '0',
        attempts: 3,
        key: 'publish/memory/r0-0',
      }),
    ]);
    expect(batch.parked[0]?.raw).toEqual(record?.value);
    expect(batch.efforts.map((e) => e.culmination)).toEqual(['parked']);
  });

  it('given maxInFlight messages under way, when another is submitted, then it is rejected and poll asks the caller to wait', async () => {
    const { produce, clock, next } = rig({ sink: { latencyMs: 10 }, maxInFlight: 2 });
    produce.submit(nth(0));
    expect(produce.poll()).toBeUndefined();
    produce.submit(nth(2));
    expect(() => produce.submit(nth(3))).toThrow(MessageRejected);
    const waiting = produce.poll();
    expect(waiting).toBeInstanceOf(Promise);
    let settled = false;
    void waiting?.then(() => {
      settled = true;
    });
    await flushMicrotasks();
    expect(settled).toBe(false);
    await clock.advance(10);
    await waiting;
    // Message 2's records share a key, so its second record is sent after the first: 2 is still under way.
    expect(next.payloads).toEqual([0]);
    produce.submit(nth(3));
    await drive(produce, clock, () => next.messages.length === 3);
    expect(next.payloads).toEqual([0, 2, 3]);
  });

  it('given a full window whose efforts all culminated and a next step that rejects, when polled, then poll does not make the caller wait for nothing', async () => {
    const next = new Collect<number>().rejectNext(2);
    const { produce, clock, journal } = rig({ maxInFlight: 2 }, next);
    produce.submit(nth(0));
    produce.submit(nth(2));
    for (let i = 0; i < 10; i++) await clock.advance(10);
    expect(journal.take().efforts.map((e) => e.culmination)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(produce.poll()).toBeUndefined();
    expect(produce.poll()).toBeUndefined();
    expect(next.payloads).toEqual([]);
    expect(produce.poll()).toBeUndefined();
    expect(next.payloads).toEqual([0, 2]);
  });

  it('given messages without records, when nothing is queued, then they pass straight through, and behind queued ones they wait their turn', async () => {
    const { produce, clock, next } = rig({ sink: { latencyMs: 10 } });
    produce.submit(nth(1));
    expect(next.payloads).toEqual([1]);
    produce.submit(nth(0));
    produce.submit(nth(4));
    expect(next.payloads).toEqual([1]);
    await drive(produce, clock, () => next.messages.length === 3);
    expect(next.payloads).toEqual([1, 0, 4]);
  });

  it('given a next step that rejects a message without records, when nothing is queued, then MessageRejected reaches the caller', () => {
    const { produce, next } = rig({}, new Collect<number>().rejectNext(1));
    expect(() => produce.submit(nth(1))).toThrow(MessageRejected);
    produce.submit(nth(1));
    expect(next.payloads).toEqual([1]);
  });

  it('given an effort that never culminates, when joined with a timeout, then join returns in time, joins the next step and abandons the effort', async () => {
    const { produce, clock, next, journal } = rig({ sink: { latencyMs: 10 } });
    produce.submit(nth(0));
    produce.close();
    const started = performance.now();
    await produce.join(30);
    expect(performance.now() - started).toBeLessThan(500);
    expect(next.joined).toBe(true);
    expect(next.messages).toEqual([]);
    // The send already under way may still deliver, but the effort never culminates and is not retried.
    await clock.advance(1_000);
    expect(journal.take().efforts.map((e) => e.culmination)).toEqual(['pending']);
    expect(produce.poll()).toBeUndefined();
    expect(next.messages).toEqual([]);
  });

  it('given efforts under way, when terminated, then they are abandoned, nothing is forwarded and submit throws', async () => {
    const { produce, sink, clock, next } = rig({ sink: { latencyMs: 10 } });
    produce.submit(nth(0));
    produce.terminate();
    await clock.advance(1_000);
    expect(produce.poll()).toBeUndefined();
    expect(next.messages).toEqual([]);
    expect(next.terminated).toBe(true);
    expect(sink.delivered).toEqual([]);
    expect(() => produce.submit(nth(3))).toThrow();
  });
});
