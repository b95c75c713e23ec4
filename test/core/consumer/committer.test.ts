import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { Assignor } from '../../../src/core/consumer/assignor.js';
import { BACKLOG, Committer } from '../../../src/core/consumer/committer.js';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { Stats } from '../../../src/core/model/stats.js';
import type { Source } from '../../../src/core/sources/source.js';
import { Journal, type JournalBatch } from '../../../src/core/store/journal.js';
import type { CheckpointWrite } from '../../../src/core/store/records.js';
import type { FlushResult, StateStore } from '../../../src/core/store/state-store.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';

/** One `flush` call held open until the test lets it through. */
interface HeldFlush {
  readonly runs: readonly string[];
  readonly checkpoints: readonly string[];
  release(): void;
}

/** A store whose flushes the test lets through one by one; records what became durable, in order. */
class SlowStore {
  readonly held: HeldFlush[] = [];
  /** Run ids and checkpoint positions, in the order their flushes completed. */
  readonly durable: string[] = [];

  flush(batch: JournalBatch, writes: readonly CheckpointWrite[]): Promise<FlushResult> {
    return new Promise((resolve) => {
      const runs = batch.ledger.map((r) => r.id);
      const checkpoints = writes.map((w) => w.position);
      this.held.push({
        runs,
        checkpoints,
        release: () => {
          this.durable.push(...runs, ...checkpoints.map((p) => `checkpoint ${p}`));
          resolve({ rejected: [] });
        },
      });
    });
  }
}

const POLICY = { intervalMs: 60_000, messages: 10 };

function setup() {
  const store = new SlowStore();
  const journal = new Journal();
  const source = {
    id: 'local:t',
    checkpointing: 'store',
    commit: async () => undefined,
  } as unknown as Source;
  const assignor = { ended: () => undefined, refresh: async () => undefined } as unknown as Assignor;
  return { store, ...committerOn(source, store, journal, assignor, '0', (n) => String(n)) };
}

/**
 * A committer over `source` and `store` with one open partition, and `process(n)`: reads, runs (one
 * recorded run each) and finishes `n` more messages, at the positions `positionOf` gives.
 */
function committerOn(
  source: Source,
  store: SlowStore,
  journal: Journal,
  assignor: Assignor,
  partition: string,
  positionOf: (n: number) => string,
) {
  const committer = new Committer({
    source,
    store: store as unknown as StateStore,
    journal,
    assignor,
    group: 'g',
    owner: 'me',
    clock: new FakeClock(0),
    stats: new Stats(),
    telemetry: new Telemetry(),
    policy: POLICY,
  });
  committer.open(partition, undefined);
  let next = 0;
  const process = (n: number) => {
    for (let i = 0; i < n; i++, next++) {
      const position = positionOf(next);
      committer.track(partition, position);
      journal.recordRun(succeeded(`run-${position}`));
      committer.done(partition, position);
    }
    committer.counted(n);
  };
  return { committer, process };
}

function succeeded(id: string): RunRecord {
  return {
    id,
    group: 'g',
    eventId: id,
    eventType: 't',
    rule: 'r',
    process: 'p',
    state: 'succeeded',
    attempts: 1,
    steps: [{ name: 's', state: 'succeeded', attempts: 1, startedAt: 0, finishedAt: 0, history: [] }],
    createdAt: 0,
    updatedAt: 0,
    runner: 'inline',
  } as RunRecord;
}

/** Whether `promise` settles within a few turns of the event loop. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('Committer', () => {
  it('Given a commit being written, When the next one comes due, Then the loop does not wait: it is written right after, in order, with everything done meanwhile', async () => {
    const { store, committer, process } = setup();
    process(10);
    await committer.commit(false);
    expect(store.held).toHaveLength(1);

    process(10);
    expect(await settlesSoon(committer.commit(false))).toBe(true);
    process(5);
    expect(await settlesSoon(committer.commit(false))).toBe(true);
    expect(store.held).toHaveLength(1);

    store.held[0]!.release();
    await settlesSoon(Promise.resolve());
    expect(store.held).toHaveLength(2);
    expect(store.held[1]!.runs).toHaveLength(15);
    expect(store.held[1]!.checkpoints).toEqual(['24']);
    store.held[1]!.release();
    await committer.commit(true);

    // Never a checkpoint before the runs it passes: each flush's runs and checkpoint land together, in order.
    expect(store.durable.filter((d) => d.startsWith('checkpoint'))).toEqual([
      'checkpoint 9',
      'checkpoint 24',
    ]);
    expect(store.durable.indexOf('checkpoint 9')).toBe(10);
    expect(store.durable.indexOf('checkpoint 24')).toBe(26);
  });

  it(`Given a commit being written, When ${BACKLOG} policies' worth of messages are done behind it, Then the loop waits for the store`, async () => {
    const { store, committer, process } = setup();
    process(10);
    await committer.commit(false);

    process(BACKLOG * POLICY.messages);
    const waiting = committer.commit(false);
    expect(await settlesSoon(waiting)).toBe(false);

    store.held[0]!.release();
    expect(await settlesSoon(waiting)).toBe(true);
    expect(store.held).toHaveLength(2);
    expect(store.held[1]!.checkpoints).toEqual([String(10 + BACKLOG * POLICY.messages - 1)]);
    store.held[1]!.release();
    await committer.commit(true);
  });
});

describe('Committer of a source that settles each message', () => {
  function settling() {
    const store = new SlowStore();
    const journal = new Journal();
    const settled: string[] = [];
    const source = {
      id: 'amqp:q',
      checkpointing: 'broker',
      settlement: 'each',
      inFlightLimit: 8,
      settle: async (done: ReadonlyMap<string, readonly string[]>) => {
        settled.push(...(done.get('q') ?? []));
      },
    } as unknown as Source;
    return { store, settled, ...committerOn(source, store, journal, {} as Assignor, 'q', (n) => `1:${n}`) };
  }

  it('Given a flush being written, When a quarter of the in-flight window is done, Then a second flush of them starts at once (the loop never waits), each settles only once its own records and those before are durable, and a third waits for the first', async () => {
    const { store, committer, process, settled } = settling();
    process(3);
    await committer.commit(false);
    expect(store.held).toHaveLength(1);

    // One message done (under a quarter of the window of 8) waits; a second one starts the overlap.
    process(1);
    expect(await settlesSoon(committer.commit(false))).toBe(true);
    expect(store.held).toHaveLength(1);
    process(1);
    expect(await settlesSoon(committer.commit(false))).toBe(true);
    expect(store.held).toHaveLength(2);
    expect(store.held[1]!.runs).toEqual(['run-1:3', 'run-1:4']);
    process(4);
    expect(await settlesSoon(committer.commit(false))).toBe(true);
    expect(store.held).toHaveLength(2);
    expect(settled).toEqual([]);

    // The second flush is durable first: it settles only after the first.
    store.held[1]!.release();
    await settlesSoon(Promise.resolve());
    expect(settled).toEqual([]);
    store.held[0]!.release();
    await settlesSoon(Promise.resolve());
    expect(settled).toEqual(['1:0', '1:1', '1:2', '1:3', '1:4']);
    expect(store.held).toHaveLength(3);
    expect(store.held[2]!.runs).toHaveLength(4);

    const draining = committer.commit(true);
    store.held[2]!.release();
    await draining;
    expect(settled).toHaveLength(9);
  });
});
