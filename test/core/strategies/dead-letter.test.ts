import { describe, expect, it } from 'vitest';
import { FakeClock, nextTurn } from '../../../src/core/clock.js';
import { DecodeError } from '../../../src/core/errors/decode-error.js';
import { type CloudEvent, decodeCloudEvent, encodeEvent } from '../../../src/core/events/cloud-event.js';
import { Journal } from '../../../src/core/store/journal.js';
import {
  DeadLetter,
  type DeadLetterOptions,
  failureText,
  InvalidMessageExit,
  parkedMessage,
} from '../../../src/core/strategies/dead-letter.js';
import { Decode } from '../../../src/core/strategies/decode.js';
import { RunTaskConcurrently } from '../../../src/core/strategies/library/run-task-concurrently.js';
import {
  InvalidMessage,
  MessageRejected,
  type ProcessingStrategy,
} from '../../../src/core/strategies/processing-strategy.js';
import { type EngineEvents, Telemetry } from '../../../src/core/telemetry/telemetry.js';
import { type Bytes, type Message, offsetsOf } from '../../../src/core/types.js';
import { Collect, CommitLog } from '../../support/collect.js';
import { message, nth } from '../../support/messages.js';
import { feed, finish, strategyBehaviour } from './strategy-behaviour.js';

const encoder = new TextEncoder();

function eventOf(i: number): CloudEvent {
  return { specversion: '1.0', id: `e${i}`, type: 'order.created', source: 'test', data: { i } };
}

/** The i-th message: event `e{i}` as bytes at `nth(i)`'s coordinates, except every 7th (from 4) is not JSON. */
function bytesAt(i: number): Message<Bytes> {
  const at = nth(i);
  const bytes = i % 7 === 4 ? encoder.encode(`not json ${i}`) : encodeEvent(eventOf(i));
  return message(bytes, {
    partition: at.partition,
    position: at.position,
    timestamp: at.timestamp,
    raw: bytes,
  });
}

/** An event message at `nth(i)`'s coordinates, its raw bytes those of the event. */
function eventAt(i: number, at: Partial<Message<unknown>> = {}): Message<CloudEvent> {
  const n = nth(i);
  const event = eventOf(i);
  return message(event, {
    partition: at.partition ?? n.partition,
    position: at.position ?? n.position,
    timestamp: n.timestamp,
    raw: encodeEvent(event),
  });
}

function options(journal = new Journal(), extra: Partial<DeadLetterOptions> = {}): DeadLetterOptions {
  return { journal, group: 'billing', source: 'local:orders', clock: new FakeClock(), ...extra };
}

/** Processing that fails for good (asynchronously) for every 5th event from 2. */
async function process(m: Message<CloudEvent>): Promise<CloudEvent> {
  await nextTurn();
  const n = Number(m.payload.id.slice(1));
  if (n % 5 === 2)
    throw new InvalidMessage(m, 'process', { cause: new Error(`cannot process ${m.payload.id}`) });
  return m.payload;
}

strategyBehaviour(
  'DeadLetter (over decode and an async step)',
  (next, ctx) =>
    new DeadLetter(
      options(),
      ctx.commit,
      new Decode(decodeCloudEvent, new RunTaskConcurrently(process, { concurrency: 3 }, next)),
    ),
  bytesAt,
  {
    hanging: (next, ctx) =>
      new DeadLetter(
        options(),
        ctx.commit,
        new Decode(
          decodeCloudEvent,
          new RunTaskConcurrently(() => new Promise<never>(() => undefined), { concurrency: 2 }, next),
        ),
      ),
    // An error that is not an InvalidMessage passes through DeadLetter untouched.
    failing: (next, ctx) =>
      new DeadLetter(
        options(),
        ctx.commit,
        new Decode(
          decodeCloudEvent,
          new RunTaskConcurrently(
            async (m: Message<CloudEvent>) => {
              await nextTurn();
              if (ctx.fails(m)) throw ctx.failure;
              return m.payload;
            },
            { concurrency: 3 },
            next,
          ),
        ),
      ),
  },
);

/**
 * A next step that fails as scripted: from `submit`, from `poll` (thrown, or as a rejected promise), from
 * `join`. Everything else it accepts.
 */
class Scripted implements ProcessingStrategy<unknown> {
  readonly accepted: Message<unknown>[] = [];
  readonly submitErrors: unknown[] = [];
  readonly pollThrows: unknown[] = [];
  readonly pollRejects: unknown[] = [];
  readonly joinErrors: unknown[] = [];
  readonly joinTimeouts: (number | undefined)[] = [];
  closed = false;
  terminated = false;

  submit(m: Message<unknown>): void {
    if (this.submitErrors.length > 0) throw this.submitErrors.shift();
    this.accepted.push(m);
  }

  poll(): Promise<void> | undefined {
    if (this.pollThrows.length > 0) throw this.pollThrows.shift();
    if (this.pollRejects.length > 0) {
      const error = this.pollRejects.shift();
      return nextTurn().then(() => {
        throw error;
      });
    }
    return undefined;
  }

  close(): void {
    this.closed = true;
  }

  async join(timeoutMs?: number): Promise<void> {
    this.joinTimeouts.push(timeoutMs);
    if (this.joinErrors.length > 0) throw this.joinErrors.shift();
  }

  terminate(): void {
    this.terminated = true;
  }
}

function rig(extra: Partial<DeadLetterOptions> = {}) {
  const journal = new Journal();
  const log = new CommitLog();
  const next = new Scripted();
  const clock = new FakeClock(1_800_000_000_000);
  const telemetry = new Telemetry();
  const parkedEvents: EngineEvents['parked'][] = [];
  telemetry.on('parked', (e) => parkedEvents.push(e));
  const strategy = new DeadLetter(options(journal, { clock, telemetry, ...extra }), log.commit, next);
  return { strategy, journal, log, next, clock, parkedEvents };
}

const invalid = (m: Message<unknown>, i = 0) =>
  new InvalidMessage(m, 'process', {
    cause: new Error(`step "charge": card declined ${i}`),
    rule: 'bill',
    process: 'billing',
    runId: `run-${i}`,
    attempts: 3,
  });

describe('DeadLetter', () => {
  it('given an InvalidMessage from submit, when submitted, then it is parked and committed as parked', () => {
    const { strategy, journal, log, next } = rig();
    const m = eventAt(1);
    next.submitErrors.push(invalid(m, 1));
    strategy.submit(m);
    expect(journal.take().parked).toMatchObject([{ reason: 'process', runId: 'run-1', eventId: 'e1' }]);
    expect(log.entries).toEqual([{ message: m, outcome: 'parked' }]);
  });

  it('given InvalidMessages thrown by poll, when polled, then each is parked and poll goes on to the rest', () => {
    const { strategy, journal, log, next } = rig();
    const [a, b] = [eventAt(1), eventAt(2)];
    next.pollThrows.push(invalid(a, 1), invalid(b, 2));
    expect(strategy.poll()).toBeUndefined();
    expect(journal.take().parked.map((p) => p.runId)).toEqual(['run-1', 'run-2']);
    expect(log.entries).toEqual([
      { message: a, outcome: 'parked' },
      { message: b, outcome: 'parked' },
    ]);
  });

  it('given InvalidMessages from rejected poll promises, when the promise is awaited, then each is parked and committed', async () => {
    const { strategy, journal, log, next } = rig();
    const [a, b] = [eventAt(1), eventAt(2)];
    next.pollRejects.push(invalid(a, 1), invalid(b, 2));
    await strategy.poll();
    expect(journal.take().parked.map((p) => p.eventId)).toEqual(['e1', 'e2']);
    expect(log.entries.map((e) => [e.message, e.outcome])).toEqual([
      [a, 'parked'],
      [b, 'parked'],
    ]);
  });

  it('given an InvalidMessage from join, when joined, then it is parked, committed, and the next step is joined again', async () => {
    const { strategy, journal, log, next } = rig();
    const m = eventAt(3);
    next.joinErrors.push(invalid(m, 3));
    strategy.close();
    await strategy.join(2_000);
    expect(journal.take().parked.map((p) => p.runId)).toEqual(['run-3']);
    expect(log.entries).toEqual([{ message: m, outcome: 'parked' }]);
    expect(next.joinTimeouts).toEqual([2_000, 2_000]);
  });

  it('given errors that are not InvalidMessage, when they reach DeadLetter, then they pass through and nothing is parked', async () => {
    const { strategy, journal, log, next } = rig();
    const broken = new Error('store is gone');
    next.submitErrors.push(broken, new MessageRejected());
    expect(() => strategy.submit(eventAt(0))).toThrow(broken);
    expect(() => strategy.submit(eventAt(0))).toThrow(MessageRejected);
    next.pollThrows.push(broken);
    expect(() => strategy.poll()).toThrow(broken);
    next.pollRejects.push(broken);
    await expect(strategy.poll()).rejects.toBe(broken);
    next.joinErrors.push(broken);
    await expect(strategy.join()).rejects.toBe(broken);
    expect(journal.size).toBe(0);
    expect(log.entries).toEqual([]);
  });

  it('given a failed event, when parked, then the item carries the reason, rule, process, run, event, raw bytes and an event key', () => {
    const { strategy, journal, next, clock, parkedEvents } = rig({ via: 'replay' });
    const m = eventAt(7, { partition: 'shard-1', position: '4959:2' });
    next.submitErrors.push(invalid(m, 7));
    strategy.submit(m);
    const [item] = journal.take().parked;
    expect(item).toEqual({
      group: 'billing',
      source: 'local:orders',
      partition: 'shard-1',
      position: '4959:2',
      reason: 'process',
      kind: 'event',
      error: 'step "charge": card declined 7',
      errorName: 'Error',
      rule: 'bill',
      process: 'billing',
      runId: 'run-7',
      eventId: 'e7',
      eventType: 'order.created',
      attempts: 3,
      raw: m.raw,
      timestamp: m.timestamp,
      failedAt: clock.now(),
      via: 'replay',
      key: 'billing|local:orders|event:test/e7',
    });
    expect(item?.raw).toBe(m.raw);
    expect(new TextDecoder().decode(item?.raw)).toBe(JSON.stringify(eventOf(7)));
    expect(parkedEvents).toEqual([
      {
        reason: 'process',
        partition: 'shard-1',
        position: '4959:2',
        error: 'step "charge": card declined 7',
      },
    ]);
  });

  it('given a payload that is not an event, when parked, then it is keyed by position, without event fields, raw bytes intact', () => {
    const bytes = Uint8Array.of(0xde, 0xad, 0xbe, 0xef);
    const m = message(bytes, { partition: 'q', position: '2:118', raw: bytes });
    const item = parkedMessage(
      new InvalidMessage(m, 'decode', { cause: new DecodeError('payload is not valid UTF-8') }),
      m,
      options(),
    );
    expect(item).toMatchObject({
      reason: 'decode',
      error: 'payload is not valid UTF-8',
      errorName: 'DecodeError',
      attempts: 1,
      key: 'billing|local:orders|at:q@2:118',
    });
    expect(item).not.toHaveProperty('eventId');
    expect(item).not.toHaveProperty('eventType');
    expect(item).not.toHaveProperty('rule');
    expect([...item.raw]).toEqual([0xde, 0xad, 0xbe, 0xef]);
  });

  it('given a payload that wraps the event (an evaluation or a dispatch), when parked, then the event fields come from the inner event', () => {
    const m = message({ event: eventOf(4), matches: [] }, { partition: 'p1', position: '9' });
    const item = parkedMessage(new InvalidMessage(m, 'rule', { rule: 'bill' }), m, options());
    expect(item).toMatchObject({ eventId: 'e4', eventType: 'order.created', rule: 'bill' });
    expect(item.key).toBe('billing|local:orders|event:test/e4');
    expect(item.error).toBe(new InvalidMessage(m, 'rule').message);
    expect(item).not.toHaveProperty('errorName');
  });

  it('given a failed batch, when parked, then every member is parked on its own and the batch is committed once', () => {
    const { strategy, journal, log, next } = rig();
    const members = [eventAt(0), eventAt(1), eventAt(5)];
    const last = members.at(-1)!;
    const batch: Message<readonly Message<CloudEvent>[]> = {
      partition: last.partition,
      position: last.position,
      payload: members,
      raw: new Uint8Array(),
      timestamp: last.timestamp,
      attributes: {},
      covers: members.flatMap((m) => offsetsOf(m)),
    };
    next.submitErrors.push(new InvalidMessage(batch, 'task', { cause: new Error('batch write failed') }));
    strategy.submit(batch);
    const parked = journal.take().parked;
    expect(parked.map((p) => [p.partition, p.position, p.eventId, p.reason, p.key])).toEqual([
      ['p0', '0', 'e0', 'task', 'billing|local:orders|event:test/e0'],
      ['p1', '0', 'e1', 'task', 'billing|local:orders|event:test/e1'],
      ['p2', '1', 'e5', 'task', 'billing|local:orders|event:test/e5'],
    ]);
    parked.forEach((p, i) => {
      expect(p.raw).toBe(members[i]!.raw);
    });
    expect(log.entries).toEqual([{ message: batch, outcome: 'parked' }]);
    expect(log.offsets.map((o) => `${o.partition}@${o.position}`)).toEqual(['p0@0', 'p1@0', 'p2@1']);
  });

  it('given the standard chain, when bad bytes and a failing step meet good events, then bad ones are parked and the good ones forwarded', async () => {
    const journal = new Journal();
    const log = new CommitLog();
    const next = new Collect<CloudEvent>();
    const strategy = new DeadLetter(
      options(journal),
      log.commit,
      new Decode(decodeCloudEvent, new RunTaskConcurrently(process, { concurrency: 2 }, next)),
    );
    await feed(
      strategy,
      Array.from({ length: 8 }, (_, i) => bytesAt(i)),
    );
    await finish(strategy);
    expect(next.payloads.map((e) => e.id)).toEqual(['e0', 'e1', 'e3', 'e5', 'e6']);
    expect(journal.take().parked.map((p) => [p.reason, p.key])).toEqual([
      ['decode', 'billing|local:orders|at:p1@1'],
      ['process', 'billing|local:orders|event:test/e2'],
      ['process', 'billing|local:orders|event:test/e7'],
    ]);
    expect(log.entries.map((e) => [e.message.partition, e.message.position, e.outcome])).toEqual([
      ['p1', '1', 'parked'],
      ['p2', '0', 'parked'],
      ['p1', '2', 'parked'],
    ]);
  });
});

describe('InvalidMessageExit with a handler of its own (replay --failed)', () => {
  function recording() {
    const next = new Scripted();
    const handed: InvalidMessage[] = [];
    const strategy = new InvalidMessageExit(
      { onInvalid: (error) => handed.push(error), clock: new FakeClock(1_800_000_000_000) },
      next,
    );
    return { strategy, next, handed };
  }

  it('given InvalidMessages from submit, poll (thrown and rejected) and join, then each is handed over once and the work goes on', async () => {
    const { strategy, next, handed } = recording();
    const failures = [0, 1, 2, 3, 4].map((i) => invalid(eventAt(i), i));
    next.submitErrors.push(failures[0]);
    strategy.submit(eventAt(0));
    next.pollThrows.push(failures[1]);
    expect(strategy.poll()).toBeUndefined();
    next.pollRejects.push(failures[2], failures[3]);
    await strategy.poll();
    next.joinErrors.push(failures[4]);
    strategy.close();
    await strategy.join(2_000);
    expect(handed).toEqual(failures);
    expect(next.joinTimeouts).toEqual([2_000, 2_000]);
  });

  it('given an invalid message, when handed over, then the text recorded is the one DeadLetter parks with', () => {
    const { strategy, next, handed } = recording();
    const { strategy: parking, journal, next: parkingNext } = rig();
    const m = eventAt(7);
    next.submitErrors.push(invalid(m, 7));
    parkingNext.submitErrors.push(invalid(m, 7));
    strategy.submit(m);
    parking.submit(m);
    expect(handed.map(failureText)).toEqual(journal.take().parked.map((p) => p.error));
    expect(failureText(handed[0]!)).toBe('step "charge": card declined 7');
  });

  it('given errors that are not InvalidMessage, then they pass through and nothing is handed over', async () => {
    const { strategy, next, handed } = recording();
    const broken = new Error('store is gone');
    next.submitErrors.push(broken);
    expect(() => strategy.submit(eventAt(0))).toThrow(broken);
    next.pollRejects.push(broken);
    await expect(strategy.poll()).rejects.toBe(broken);
    next.joinErrors.push(broken);
    await expect(strategy.join()).rejects.toBe(broken);
    expect(handed).toEqual([]);
  });
});
