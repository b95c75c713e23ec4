import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../../src/core/clock.js';
import { FatalError } from '../../../src/core/errors/fatal-error.js';
import { TransientError } from '../../../src/core/errors/transient-error.js';
import { type Effort, timeOrderedUuid } from '../../../src/core/model/effort.js';
import { Stats } from '../../../src/core/model/stats.js';
import { type Contingency, contingency } from '../../../src/core/publish/contingency.js';
import type { PublishRecord, SendProgress, SendResult, Sink } from '../../../src/core/publish/publisher.js';
import { RetryingPublisher } from '../../../src/core/publish/retrying-publisher.js';
import { MemorySink, type MemorySinkOptions } from '../../../src/core/publish/sinks/memory-sink.js';
import { PublisherStatusBoard } from '../../../src/core/publish/status-board.js';
import { Journal } from '../../../src/core/store/journal.js';
import { type EngineEvents, Telemetry } from '../../../src/core/telemetry/telemetry.js';

/** Keeps every version of every effort the publisher records. */
class RecordingJournal extends Journal {
  readonly versions: Effort[] = [];
  override recordEffort(effort: Effort): void {
    this.versions.push(effort);
    super.recordEffort(effort);
  }
}

interface Setup {
  readonly contingency?: Partial<Contingency>;
  readonly sink?: MemorySinkOptions;
  readonly board?: { readonly disableAfter: number; readonly coolDownMs: number };
  readonly attemptTimeoutMs?: number;
  readonly random?: () => number;
}

function setup(options: Setup = {}) {
  const clock = new FakeClock(0);
  const sink = new MemorySink({ clock, ...options.sink });
  const journal = new RecordingJournal();
  const telemetry = new Telemetry();
  const stats = new Stats();
  const board =
    options.board === undefined ? undefined : new PublisherStatusBoard({ clock, ...options.board });
  const attempts: EngineEvents['attempt'][] = [];
  const efforts: Effort[] = [];
  const warnings: EngineEvents['warning'][] = [];
  telemetry.on('attempt', (event) => attempts.push(event));
  telemetry.on('effort', (event) => efforts.push(event.effort));
  telemetry.on('warning', (event) => warnings.push(event));
  const publisher = new RetryingPublisher({
    sink,
    contingency: contingency({
      maxRetries: 3,
      kind: 'exponential',
      baseMs: 100,
      maxMs: 10_000,
      jitter: 0,
      ...options.contingency,
    }),
    journal,
    group: 'agents',
    clock,
    telemetry,
    stats,
    ...(board === undefined ? {} : { board }),
    ...(options.attemptTimeoutMs === undefined ? {} : { attemptTimeoutMs: options.attemptTimeoutMs }),
    ...(options.random === undefined ? {} : { random: options.random }),
  });
  return { clock, sink, journal, telemetry, stats, board, publisher, attempts, efforts, warnings };
}

function record(id: string, extra: Partial<PublishRecord> = {}): PublishRecord {
  return { id, value: new TextEncoder().encode(`{"id":"${id}"}`), timestamp: 1_000, ...extra };
}

/** Advances the fake clock in small steps until every promise has settled. */
async function settle<T>(
  clock: FakeClock,
  promises: Promise<T>[],
  stepMs = 10,
): Promise<PromiseSettledResult<T>[]> {
  let done = false;
  const all = Promise.allSettled(promises).then((results) => {
    done = true;
    return results;
  });
  await flushMicrotasks();
  for (let i = 0; !done && i < 100_000; i++) await clock.advance(stepMs);
  return all;
}

async function deliver(clock: FakeClock, promises: Promise<Effort>[]): Promise<Effort[]> {
  return (await settle(clock, promises)).map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  });
}

const ids = (records: readonly PublishRecord[]) => records.map((r) => r.id);

describe('RetryingPublisher', () => {
  describe('delivery', () => {
    it('given a healthy sink, when a record is published, then it is delivered at the first attempt', async () => {
      const { sink, publisher, stats, journal, attempts, efforts } = setup();
      const effort = await publisher.publish(record('r1', { runId: 'run-1' }));
      expect(effort).toMatchObject({
        sink: 'memory',
        recordId: 'r1',
        runId: 'run-1',
        culmination: 'delivered',
      });
      expect([effort.attempts, effort.retries, effort.history.length]).toEqual([1, 0, 1]);
      expect(effort.initialAttempt).toEqual({ attempt: 1, at: 0, durationMs: 0, ok: true });
      expect(effort.finalAttempt).toBe(effort.initialAttempt);
      expect(effort.nextAttemptAt).toBeUndefined();
      expect(ids(sink.delivered)).toEqual(['r1']);
      expect([stats.publishAttempts, stats.publishRetries, stats.delivered, stats.publishGiveUps]).toEqual([
        1, 0, 1, 0,
      ]);
      expect(attempts).toEqual([{ kind: 'publish', id: effort.id, name: 'memory', attempt: 1, ok: true }]);
      expect(efforts).toEqual([effort]);
      expect(journal.versions.map((v) => v.culmination)).toEqual(['pending', 'delivered']);
      expect(journal.take().efforts).toEqual([effort]);
    });

    it('given transient failures, when the sink recovers, then the effort records every attempt on the backoff', async () => {
      const { clock, sink, publisher, stats, journal, attempts } = setup();
      sink.failNext(2);
      const publishing = publisher.publish(record('r1'));
      await flushMicrotasks();
      const waiting = journal.versions.at(-1)!;
      expect(waiting).toMatchObject({ culmination: 'pending', attempts: 1, retries: 0, nextAttemptAt: 100 });
      expect(waiting.lastError).toBe('memory: scripted failure');

      await clock.advance(100);
      expect(journal.versions.at(-1)).toMatchObject({ attempts: 2, retries: 1, nextAttemptAt: 300 });

      const [effort] = await deliver(clock, [publishing]);
      expect(effort!.culmination).toBe('delivered');
      expect(effort!.history.map((a) => [a.attempt, a.at, a.ok])).toEqual([
        [1, 0, false],
        [2, 100, false],
        [3, 300, true],
      ]);
      expect([effort!.attempts, effort!.retries]).toEqual([3, 2]);
      expect(effort!.initialAttempt).toMatchObject({ attempt: 1, ok: false });
      expect(effort!.finalAttempt).toMatchObject({ attempt: 3, ok: true });
      expect(attempts.map((a) => a.nextAttemptAt)).toEqual([100, 300, undefined]);
      expect([stats.publishAttempts, stats.publishRetries, stats.delivered]).toEqual([3, 2, 1]);
      expect(sink.sends).toEqual([1, 1, 1]);
    });

    it('given a journal batch taken while an effort is under way, when the effort changes later, then the taken batch keeps it as it was', async () => {
      const { clock, sink, publisher, journal } = setup();
      sink.failNext(1);
      const publishing = publisher.publish(record('r1'));
      const pending = journal.take().efforts;
      expect(pending.map((e) => [e.culmination, e.attempts, e.history.length])).toEqual([['pending', 0, 0]]);
      await flushMicrotasks();
      const waiting = journal.take().efforts;
      expect(waiting.map((e) => [e.culmination, e.attempts, e.nextAttemptAt])).toEqual([['pending', 1, 100]]);

      const [effort] = await deliver(clock, [publishing]);
      expect([effort!.culmination, effort!.attempts, effort!.history.length]).toEqual(['delivered', 2, 2]);
      expect(pending.map((e) => [e.culmination, e.attempts, e.history.length])).toEqual([['pending', 0, 0]]);
      expect(waiting.map((e) => [e.culmination, e.attempts, e.history.length, e.nextAttemptAt])).toEqual([
        ['pending', 1, 1, 100],
      ]);
      expect(journal.take().efforts).toEqual([effort]);
      // Every version recorded is its own object, and none changed after it was recorded.
      expect(journal.versions.map((v) => [v.culmination, v.attempts])).toEqual([
        ['pending', 0],
        ['pending', 1],
        ['delivered', 2],
      ]);
    });

    it('given jitter, when retrying, then each wait is the jittered backoff delay', async () => {
      const { clock, sink, publisher } = setup({
        contingency: { kind: 'linear', baseMs: 1_000, jitter: 0.5 },
        random: () => 0.5,
      });
      sink.failNext(3);
      const [effort] = await deliver(clock, [publisher.publish(record('r1'))]);
      expect(effort!.history.map((a) => a.at)).toEqual([0, 750, 750 + 1_500, 750 + 1_500 + 2_250]);
    });

    it('given retries run out, when the sink stays down, then the record is parked whole in the journal', async () => {
      const { clock, sink, publisher, stats, journal } = setup({ contingency: { maxRetries: 2 } });
      sink.setDown(true);
      const value = new Uint8Array([0, 159, 146, 150, 255]);
      const [effort] = await deliver(clock, [
        publisher.publish(
          record('r1', {
            value,
            runId: 'run-1',
            timestamp: 42,
            origin: { source: 'local:events', partition: '3', position: '17' },
          }),
        ),
      ]);
      expect(effort).toMatchObject({
        culmination: 'parked',
        attempts: 3,
        retries: 2,
        lastError: 'memory is down',
      });
      expect(sink.sends).toEqual([1, 1, 1]);
      expect(sink.delivered).toEqual([]);
      expect([stats.publishGiveUps, stats.delivered]).toEqual([1, 0]);
      const { parked, efforts } = journal.take();
      expect(parked).toEqual([
        {
          group: 'agents',
          source: 'local:events',
          partition: '3',
          position: '17',
          reason: 'publish',
          kind: 'record',
          error: 'memory is down',
          errorName: 'TransientError',
          runId: 'run-1',
          sink: 'memory',
          attempts: 3,
          raw: value,
          timestamp: 42,
          failedAt: 300,
          key: 'publish/memory/r1',
        },
      ]);
      expect(Array.from(parked[0]!.raw)).toEqual([0, 159, 146, 150, 255]);
      expect(efforts).toEqual([effort]);
    });

    it('given a record without origin, when it is parked, then its source coordinates are empty', async () => {
      const { clock, sink, publisher, journal } = setup({ contingency: { maxRetries: 0 } });
      sink.setDown(true);
      await deliver(clock, [publisher.publish(record('r1'))]);
      expect(journal.take().parked[0]).toMatchObject({
        source: '',
        partition: '',
        position: '',
        attempts: 1,
      });
    });

    it('given a non-retriable error, when a record fails, then it is parked without retries', async () => {
      const { clock, sink, publisher, journal } = setup();
      sink.failRecords(() => true, new FatalError('record too large'));
      const [effort] = await deliver(clock, [publisher.publish(record('r1'))]);
      expect(effort).toMatchObject({ culmination: 'parked', attempts: 1 });
      expect(journal.take().parked[0]).toMatchObject({ error: 'record too large', errorName: 'FatalError' });
    });

    it('given a send slower than the attempt timeout, then the attempt fails and its signal is aborted', async () => {
      const { clock, sink, publisher } = setup({
        sink: { latencyMs: 5_000 },
        attemptTimeoutMs: 1_000,
        contingency: { maxRetries: 1 },
      });
      const [effort] = await deliver(clock, [publisher.publish(record('r1'))]);
      expect(effort).toMatchObject({ culmination: 'parked', attempts: 2 });
      expect(effort!.history.map((a) => [a.at, a.durationMs])).toEqual([
        [0, 1_000],
        [1_100, 1_000],
      ]);
      expect(effort!.lastError).toBe('memory: send took longer than 1000 ms');
      expect(sink.delivered).toEqual([]);
      expect(clock.pending).toBe(0);
    });
  });

  describe('batching', () => {
    it('given records published in one tick, then they share sends of at most maxBatch', async () => {
      const { clock, sink, publisher } = setup({ sink: { maxBatch: 3 } });
      const all = Array.from({ length: 7 }, (_, i) => publisher.publish(record(`r${i}`)));
      await deliver(clock, all);
      expect(sink.sends).toEqual([3, 3, 1]);
      expect(ids(sink.delivered)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    });

    it('given a byte limit, then batches stay within it and a larger record goes alone', async () => {
      const { clock, sink, publisher } = setup({ sink: { maxBatchBytes: 10 } });
      const bytes = (n: number) => new Uint8Array(n);
      await deliver(clock, [
        publisher.publish(record('a', { value: bytes(4) })),
        publisher.publish(record('b', { value: bytes(4) })),
        publisher.publish(record('c', { value: bytes(4) })),
        publisher.publish(record('big', { value: bytes(25) })),
        publisher.publish(record('d', { value: bytes(10) })),
      ]);
      expect(sink.batches.map(ids)).toEqual([['a', 'b'], ['c'], ['big'], ['d']]);
    });

    it('given a send in flight, when more records arrive, then they go together in the next send', async () => {
      const { clock, sink, publisher } = setup({ sink: { latencyMs: 50 } });
      const first = publisher.publish(record('r0'));
      await flushMicrotasks();
      const later = [1, 2, 3].map((i) => publisher.publish(record(`r${i}`)));
      await deliver(clock, [first, ...later]);
      expect(sink.batches.map(ids)).toEqual([['r0'], ['r1', 'r2', 'r3']]);
    });

    it('given some records of a batch fail, then only those are retried', async () => {
      const { clock, sink, publisher } = setup();
      const failedOnce = new Set<string>();
      sink.failRecords(
        (r) => (r.id === 'r1' || r.id === 'r3') && !failedOnce.has(r.id) && !!failedOnce.add(r.id),
      );
      const efforts = await deliver(
        clock,
        ['r0', 'r1', 'r2', 'r3'].map((id) => publisher.publish(record(id))),
      );
      expect(sink.batches.map(ids)).toEqual([
        ['r0', 'r1', 'r2', 'r3'],
        ['r1', 'r3'],
      ]);
      expect(efforts.map((e) => [e.recordId, e.culmination, e.attempts])).toEqual([
        ['r0', 'delivered', 1],
        ['r1', 'delivered', 2],
        ['r2', 'delivered', 1],
        ['r3', 'delivered', 2],
      ]);
    });
  });

  describe('order per key', () => {
    it('given a record that needs retries, then later records with its key wait for it', async () => {
      const { clock, sink, publisher } = setup();
      let failures = 2;
      sink.failRecords((r) => r.id === 'a1' && failures-- > 0);
      await deliver(clock, [
        publisher.publish(record('a1', { key: 'a' })),
        publisher.publish(record('a2', { key: 'a' })),
        publisher.publish(record('b1', { key: 'b' })),
        publisher.publish(record('a3', { key: 'a' })),
        publisher.publish(record('n1')),
      ]);
      expect(sink.batches.map(ids)).toEqual([['a1', 'b1', 'n1'], ['a1'], ['a1'], ['a2'], ['a3']]);
      expect(ids(sink.delivered)).toEqual(['b1', 'n1', 'a1', 'a2', 'a3']);
    });

    it('given a record that is parked, then the next record with its key is sent after it', async () => {
      const { clock, sink, publisher } = setup({ contingency: { maxRetries: 1 } });
      sink.failRecords((r) => r.id === 'a1');
      const efforts = await deliver(clock, [
        publisher.publish(record('a1', { key: 'a' })),
        publisher.publish(record('a2', { key: 'a' })),
      ]);
      expect(efforts.map((e) => e.culmination)).toEqual(['parked', 'delivered']);
      expect(sink.batches.map(ids)).toEqual([['a1'], ['a1'], ['a2']]);
    });
  });

  describe('status board', () => {
    it('given a disabled sink, then records are parked at once without calling the sink, until the cool-down', async () => {
      const { clock, sink, publisher, journal, board } = setup({
        contingency: { maxRetries: 0 },
        board: { disableAfter: 1, coolDownMs: 1_000 },
      });
      sink.setDown(true);
      const [gaveUp] = await deliver(clock, [publisher.publish(record('r1'))]);
      expect(gaveUp!.culmination).toBe('parked');
      expect(board!.status('memory')).toMatchObject({ enabled: false, retryAt: 1_000 });
      expect(sink.sends).toEqual([1]);

      sink.setDown(false);
      const [turnedAway] = await deliver(clock, [publisher.publish(record('r2'))]);
      expect(turnedAway).toMatchObject({ culmination: 'parked', attempts: 0, history: [] });
      expect(turnedAway!.lastError).toBe(
        'sink memory is disabled after repeated failures (last error: memory is down)',
      );
      expect(sink.sends).toEqual([1]);
      expect(journal.take().parked.map((p) => [p.key, p.errorName, p.attempts])).toEqual([
        ['publish/memory/r1', 'TransientError', 1],
        ['publish/memory/r2', 'SinkDisabled', 0],
      ]);

      await clock.advance(1_000);
      const [trial] = await deliver(clock, [publisher.publish(record('r3'))]);
      expect(trial!.culmination).toBe('delivered');
      expect(ids(sink.delivered)).toEqual(['r3']);
      expect(board!.status('memory')).toMatchObject({ enabled: true, consecutiveFailures: 0 });
    });

    it('given the cool-down passed, when several records come, then one trial goes to the sink and the rest park', async () => {
      const { clock, sink, publisher, board } = setup({
        contingency: { maxRetries: 1 },
        board: { disableAfter: 1, coolDownMs: 1_000 },
      });
      sink.setDown(true);
      await deliver(clock, [publisher.publish(record('r1'))]);
      const sendsBefore = sink.sends.length;
      await clock.advance(1_000);
      const efforts = await deliver(
        clock,
        ['t', 'x', 'y'].map((id) => publisher.publish(record(id))),
      );
      expect(efforts.map((e) => [e.recordId, e.culmination, e.attempts])).toEqual([
        ['t', 'parked', 2],
        ['x', 'parked', 0],
        ['y', 'parked', 0],
      ]);
      expect(sink.batches.slice(sendsBefore).map(ids)).toEqual([['t'], ['t']]);
      expect(board!.status('memory')).toMatchObject({ enabled: false, consecutiveFailures: 2 });
    });

    it('given a sink disabled by other efforts, when a waiting record is due again, then it is parked', async () => {
      const { clock, sink, publisher } = setup({
        contingency: { maxRetries: 3, kind: 'constant', baseMs: 100 },
        board: { disableAfter: 1, coolDownMs: 60_000 },
      });
      sink.failRecords((r) => r.id === 'fast');
      const fast = publisher.publish(record('fast'));
      await flushMicrotasks();
      sink.failRecords(() => true, new TransientError('overloaded'));
      await clock.advance(50);
      const slow = publisher.publish(record('slow'));
      const [a, b] = await deliver(clock, [fast, slow]);
      expect([a!.culmination, a!.attempts]).toEqual(['parked', 4]);
      expect([b!.culmination, b!.attempts]).toEqual(['parked', 3]);
    });
  });

  describe('reaction', () => {
    it('given a reaction, then it runs once per effort after it culminated', async () => {
      const seen: [string, string][] = [];
      const { clock, sink, publisher } = setup({
        contingency: {
          maxRetries: 1,
          reaction: (effort) => void seen.push([effort.recordId, effort.culmination]),
        },
      });
      sink.failRecords((r) => r.id === 'bad');
      await deliver(clock, [publisher.publish(record('good')), publisher.publish(record('bad'))]);
      expect(seen).toEqual([
        ['good', 'delivered'],
        ['bad', 'parked'],
      ]);
    });

    it('given a reaction that throws or rejects, then a warning is emitted and publishing goes on', async () => {
      let calls = 0;
      const { clock, sink, publisher, warnings } = setup({
        contingency: {
          reaction: () => {
            calls += 1;
            if (calls === 1) throw new Error('pager down');
            return Promise.reject(new Error('pager still down'));
          },
        },
      });
      const efforts = await deliver(clock, [publisher.publish(record('r1'))]);
      const more = await deliver(clock, [publisher.publish(record('r2'))]);
      await flushMicrotasks();
      expect([...efforts, ...more].map((e) => e.culmination)).toEqual(['delivered', 'delivered']);
      expect(ids(sink.delivered)).toEqual(['r1', 'r2']);
      expect(calls).toBe(2);
      expect(warnings.map((w) => (w.error as Error).message)).toEqual(['pager down', 'pager still down']);
      expect(warnings[0]!.message).toContain('contingency reaction failed');
    });
  });

  describe('abort and close', () => {
    it('given an aborted signal, when publishing, then it rejects at once and nothing is sent', async () => {
      const { sink, publisher } = setup();
      const controller = new AbortController();
      controller.abort(new Error('shutting down'));
      await expect(publisher.publish(record('r1'), controller.signal)).rejects.toThrow('shutting down');
      await flushMicrotasks();
      expect(sink.sends).toEqual([]);
    });

    it('given a record waiting for a retry, when its signal aborts, then publish rejects and the effort stays pending', async () => {
      const { clock, sink, publisher, journal } = setup();
      sink.failRecords((r) => r.id === 'a1');
      const controller = new AbortController();
      const first = publisher.publish(record('a1', { key: 'a' }), controller.signal);
      const second = publisher.publish(record('a2', { key: 'a' }));
      await flushMicrotasks();
      controller.abort(new Error('stop'));
      await expect(first).rejects.toThrow('stop');
      const [next] = await deliver(clock, [second]);
      expect(next!.culmination).toBe('delivered');
      await clock.advance(10_000);
      expect(sink.batches.map(ids)).toEqual([['a1'], ['a2']]);
      const stored = journal.take().efforts.find((e) => e.recordId === 'a1');
      expect(stored).toMatchObject({ culmination: 'pending', attempts: 1 });
    });

    it('given many records published with one signal, then the signal has one listener, and aborting it abandons those still under way', async () => {
      const { clock, sink, publisher, journal } = setup();
      const controller = new AbortController();
      const listeners = () => getEventListeners(controller.signal, 'abort').length;
      const delivered = [publisher.publish(record('d1'), controller.signal)];
      delivered.push(publisher.publish(record('d2'), controller.signal));
      expect(listeners()).toBe(1);
      await deliver(clock, delivered);
      expect(listeners()).toBe(0);

      sink.setDown(true);
      const waiting = ['w1', 'w2', 'w3'].map((id) => publisher.publish(record(id), controller.signal));
      const other = new AbortController();
      const elsewhere = publisher.publish(record('o1'), other.signal);
      expect([listeners(), getEventListeners(other.signal, 'abort').length]).toEqual([1, 1]);
      await flushMicrotasks();
      const rejected: string[] = [];
      for (const [i, p] of waiting.entries()) {
        p.catch((error: Error) => rejected.push(`w${i + 1}: ${error.message}`));
      }
      controller.abort(new Error('stop'));
      await flushMicrotasks();
      expect(rejected).toEqual(['w1: stop', 'w2: stop', 'w3: stop']);
      expect(listeners()).toBe(0);

      sink.setDown(false);
      const [effort] = await deliver(clock, [elsewhere]);
      expect(effort!.culmination).toBe('delivered');
      expect(getEventListeners(other.signal, 'abort').length).toBe(0);
      const pending = journal.take().efforts.filter((e) => e.culmination === 'pending');
      expect(pending.map((e) => e.recordId).sort()).toEqual(['w1', 'w2', 'w3']);
    });

    it('given efforts in flight, when closing, then it waits for them and then closes the sink', async () => {
      const { clock, sink, publisher } = setup();
      sink.failNext(1);
      const publishing = publisher.publish(record('r1'));
      await flushMicrotasks();
      let closed = false;
      const closing = publisher.close().then(() => {
        closed = true;
      });
      await flushMicrotasks();
      expect([closed, sink.isClosed]).toEqual([false, false]);
      await expect(publisher.publish(record('r2'))).rejects.toThrow('closed');
      await settle(clock, [closing]);
      expect((await publishing).culmination).toBe('delivered');
      expect([closed, sink.isClosed]).toEqual([true, true]);
      expect(ids(sink.delivered)).toEqual(['r1']);
    });
  });
});

/**
 * A sink whose records settle one by one, as broker confirms do: each send waits until the test reports
 * its records' outcomes (`report`) and then returns when `finish` is called.
 */
class ProgressiveSink implements Sink {
  readonly name = 'progressive';
  readonly maxBatch = 100;
  readonly sends: {
    records: readonly PublishRecord[];
    progress: SendProgress | undefined;
    finish: (result: SendResult) => void;
  }[] = [];

  send(
    records: readonly PublishRecord[],
    _signal?: AbortSignal,
    progress?: SendProgress,
  ): Promise<SendResult> {
    return new Promise((finish) => {
      this.sends.push({ records, progress, finish });
    });
  }

  async close(): Promise<void> {}
}

describe('RetryingPublisher with a sink that reports outcomes as they come', () => {
  function progressive(attemptTimeoutMs = 10_000) {
    const clock = new FakeClock(0);
    const sink = new ProgressiveSink();
    const journal = new RecordingJournal();
    const publisher = new RetryingPublisher({
      sink,
      contingency: contingency({ maxRetries: 3, kind: 'constant', baseMs: 100, jitter: 0 }),
      journal,
      group: 'agents',
      clock,
      attemptTimeoutMs,
    });
    return { clock, sink, journal, publisher };
  }

  it('given a batch in flight, when its first record is confirmed, then that effort culminates before the send returns and frees its key', async () => {
    const { sink, publisher } = progressive();
    const culminated: string[] = [];
    const track = (p: Promise<Effort>) => p.then((e) => culminated.push(`${e.recordId}:${e.culmination}`));
    const first = track(publisher.publish(record('a1', { key: 'a' })));
    track(publisher.publish(record('b1', { key: 'b' })));
    const nextOfA = track(publisher.publish(record('a2', { key: 'a' })));
    await flushMicrotasks();
    expect(sink.sends.map((s) => ids(s.records))).toEqual([['a1', 'b1']]);

    sink.sends[0]!.progress!(0, undefined);
    await first;
    expect(culminated).toEqual(['a1:delivered']);
    await flushMicrotasks();
    // a2 waited for a1 only, not for the rest of a1's batch: it goes out while b1 is still unconfirmed.
    expect(sink.sends.map((s) => ids(s.records))).toEqual([['a1', 'b1'], ['a2']]);

    sink.sends[1]!.progress!(0, undefined);
    sink.sends[1]!.finish({ failures: new Map() });
    await nextOfA;
    sink.sends[0]!.progress!(1, undefined);
    sink.sends[0]!.finish({ failures: new Map() });
    await publisher.close();
    expect(culminated).toEqual(['a1:delivered', 'a2:delivered', 'b1:delivered']);
  });

  it('given a record the sink reports failed while its batch is in flight, when the backoff passes, then only it is sent again, and the send result does not count it twice', async () => {
    const { clock, sink, publisher } = progressive();
    const one = publisher.publish(record('r1'));
    const two = publisher.publish(record('r2'));
    await flushMicrotasks();
    sink.sends[0]!.progress!(1, new TransientError('nack'));
    await clock.advance(100);
    expect(sink.sends.map((s) => ids(s.records))).toEqual([['r1', 'r2'], ['r2']]);
    sink.sends[1]!.progress!(0, undefined);
    sink.sends[1]!.finish({ failures: new Map() });
    sink.sends[0]!.progress!(0, undefined);
    // The end of the first send repeats the failure it already reported: it is not acted on again.
    sink.sends[0]!.finish({ failures: new Map([[1, new TransientError('nack')]]) });
    const [r1, r2] = await Promise.all([one, two]);
    expect([r1!.culmination, r1!.attempts]).toEqual(['delivered', 1]);
    expect([r2!.culmination, r2!.attempts, r2!.history.map((a) => a.ok)]).toEqual([
      'delivered',
      2,
      [false, true],
    ]);
    expect(sink.sends).toHaveLength(2);
  });

  it('given a send that timed out, when the sink reports an outcome late, then it is ignored and the record is retried', async () => {
    const { clock, sink, publisher } = progressive(1_000);
    const one = publisher.publish(record('r1'));
    await flushMicrotasks();
    await clock.advance(1_000);
    await flushMicrotasks();
    sink.sends[0]!.progress!(0, undefined);
    await clock.advance(100);
    expect(sink.sends).toHaveLength(2);
    sink.sends[1]!.progress!(0, undefined);
    const effort = await one;
    expect(effort.history.map((a) => [a.attempt, a.ok])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(effort.history[0]!.error).toContain('longer than 1000 ms');
  });
});

describe('timeOrderedUuid', () => {
  it('given increasing times, when ids are made, then they are UUIDv7 strings that sort by time', () => {
    const times = [0, 1, 255, 1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000];
    const ids = times.map((ms) => timeOrderedUuid(ms));
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect([...ids].sort()).toEqual(ids);
    expect(ids[3]!.replace('-', '').slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, '0'));
    expect(new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(5))).size).toBe(1000);
  });

  it('given more ids than one pool of random bytes holds, when they are made, then each is a distinct UUIDv7', () => {
    const made = Array.from({ length: 10_000 }, () => timeOrderedUuid(1_700_000_000_000));
    for (const id of made) expect(id).toMatch(/^018bcfe5-6800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(made).size).toBe(10_000);
  });
});
