import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Effort, PublishAttempt } from '../../../src/core/model/effort.js';
import { RUN_STATES, type RunRecord, type StepRecord } from '../../../src/core/model/run-record.js';
import { fnv1a32, partitionForKey } from '../../../src/core/store/partition-for-key.js';
import type { LogAppend, NewFailedMessage } from '../../../src/core/store/records.js';
import { openSqliteStore, type SqliteStateStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { FAILURE_REASONS } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';

const EMPTY = { runs: [], ledger: [], efforts: [], parked: [] } as const;

/** One store on a real file per test; each property iteration writes under fresh ids. */
async function openStore(): Promise<SqliteStateStore> {
  const dir = tempDir('props-');
  const store = await openSqliteStore({ path: join(dir, 'agent.db') });
  onTestFinished(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

let sequence = 0;
const fresh = (prefix: string) => `${prefix}-${++sequence}`;

// Valid Unicode (lone surrogates are not text, and SQLite stores text as UTF-8), NUL included.
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const count = fc.nat({ max: 1_000 });
const duration = fc.double({ min: 0, max: 1e6, noNaN: true });
const stepState = fc.constantFrom('pending', 'running', 'succeeded', 'failed' as const);

const stepAttempt = fc.record(
  { attempt: count, startedAt: time, durationMs: duration, error: text, fatal: fc.boolean() },
  { requiredKeys: ['attempt', 'startedAt', 'durationMs'] },
);

const step: fc.Arbitrary<StepRecord> = fc.record(
  {
    name: text,
    state: stepState,
    attempts: count,
    startedAt: time,
    finishedAt: time,
    error: text,
    nextAttemptAt: time,
    history: fc.array(stepAttempt, { maxLength: 3 }),
  },
  { requiredKeys: ['name', 'state', 'attempts', 'history'] },
);

const run: fc.Arbitrary<Omit<RunRecord, 'id'>> = fc.record(
  {
    group: text,
    eventId: text,
    eventType: text,
    rule: text,
    process: text,
    state: fc.constantFrom(...RUN_STATES),
    currentStep: text,
    attempts: count,
    steps: fc.array(step, { maxLength: 4 }),
    createdAt: time,
    startedAt: time,
    finishedAt: time,
    error: text,
    fatal: fc.boolean(),
    runner: fc.constantFrom('inline', 'pool', 'queue'),
    worker: text,
    origin: fc.record({ source: text, partition: text, position: text }),
    // A run's output is JSON, so its domain is what JSON keeps (JSON itself turns -0 into 0).
    output: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown),
    updatedAt: time,
  },
  {
    requiredKeys: [
      'group',
      'eventId',
      'eventType',
      'rule',
      'process',
      'state',
      'attempts',
      'steps',
      'createdAt',
      'runner',
      'updatedAt',
    ],
  },
);

const publishAttempt: fc.Arbitrary<PublishAttempt> = fc.record(
  { attempt: count, at: time, durationMs: duration, ok: fc.boolean(), error: text },
  { requiredKeys: ['attempt', 'at', 'durationMs', 'ok'] },
);

const effort: fc.Arbitrary<Omit<Effort, 'id'>> = fc.record(
  {
    sink: text,
    recordId: text,
    runId: text,
    createdAt: time,
    attempts: count,
    retries: count,
    initialAttempt: publishAttempt,
    finalAttempt: publishAttempt,
    history: fc.array(publishAttempt, { maxLength: 4 }),
    culmination: fc.constantFrom('pending', 'delivered', 'parked' as const),
    nextAttemptAt: time,
    lastError: text,
    updatedAt: time,
  },
  {
    requiredKeys: [
      'sink',
      'recordId',
      'createdAt',
      'attempts',
      'retries',
      'history',
      'culmination',
      'updatedAt',
    ],
  },
);

const parked: fc.Arbitrary<Omit<NewFailedMessage, 'key'>> = fc.record(
  {
    group: text,
    source: text,
    partition: text,
    position: text,
    reason: fc.constantFrom(...FAILURE_REASONS),
    kind: fc.constantFrom('event', 'record' as const),
    error: text,
    errorName: text,
    rule: text,
    process: text,
    runId: text,
    sink: text,
    eventId: text,
    eventType: text,
    attempts: count,
    raw: fc.uint8Array({ maxLength: 300 }),
    timestamp: time,
    failedAt: time,
  },
  {
    requiredKeys: [
      'group',
      'source',
      'partition',
      'position',
      'reason',
      'kind',
      'error',
      'attempts',
      'raw',
      'timestamp',
      'failedAt',
    ],
  },
);

describe('store round-trips (SQLite)', () => {
  it('Given any run record, When upserted and read, Then it is deep-equal, with absent fields still absent', async () => {
    const store = await openStore();
    await fc.assert(
      fc.asyncProperty(run, async (fields) => {
        const record: RunRecord = { id: fresh('run'), ...fields };
        await store.runs.upsert([record]);
        const read = await store.runs.get(record.id);
        expect(read).toEqual(record);
        expect(Object.keys(read!).sort()).toEqual(Object.keys(record).sort());
      }),
    );
  });

  it('Given any effort, When flushed and read, Then it is deep-equal, with absent fields still absent', async () => {
    const store = await openStore();
    await fc.assert(
      fc.asyncProperty(effort, async (fields) => {
        const record: Effort = { id: fresh('effort'), ...fields };
        await store.flush({ ...EMPTY, efforts: [record] });
        const read = await store.efforts.get(record.id);
        expect(read).toEqual(record);
        expect(Object.keys(read!).sort()).toEqual(Object.keys(record).sort());
      }),
    );
  });

  it('Given any parked message, When flushed and read, Then every field and every raw byte comes back', async () => {
    const store = await openStore();
    let lastId = 0;
    await fc.assert(
      fc.asyncProperty(parked, async (fields) => {
        const message: NewFailedMessage = { ...fields, key: fresh('key') };
        await store.flush({ ...EMPTY, parked: [message] });
        const [item, ...others] = await store.failed.list({ status: 'any', afterId: lastId });
        expect(others).toEqual([]);
        lastId = item!.id;
        const { failedAt, raw, ...rest } = message;
        const { id: _, status, firstFailedAt, lastFailedAt, history, raw: readRaw, ...readRest } = item!;
        expect(readRest).toEqual(rest);
        expect(Object.keys(readRest).sort()).toEqual(Object.keys(rest).sort());
        expect(Buffer.from(readRaw).equals(Buffer.from(raw))).toBe(true);
        expect({ status, firstFailedAt, lastFailedAt, history }).toEqual({
          status: 'pending',
          firstFailedAt: failedAt,
          lastFailedAt: failedAt,
          history: [{ at: failedAt, error: message.error, via: 'consume' }],
        });
      }),
      { numRuns: 60 },
    );
  });

  it('Given any log record, When appended and read, Then value bytes, key and timestamp are identical', async () => {
    const store = await openStore();
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          { value: fc.uint8Array({ maxLength: 2_000 }), key: text, timestamp: time },
          { requiredKeys: ['value'] },
        ),
        async (record: LogAppend) => {
          const topic = fresh('topic');
          const [placed] = await store.log.append(topic, [record]);
          const [read] = await store.log.read(topic, placed!.partition, placed!.offset - 1, 1);
          expect(read!.offset).toBe(placed!.offset);
          expect(Buffer.from(read!.value).equals(Buffer.from(record.value))).toBe(true);
          // A record read with its text has the text its bytes are the exact encoding of.
          if (read!.text !== undefined)
            expect(Buffer.from(read!.text, 'utf8').equals(Buffer.from(record.value))).toBe(true);
          expect(read!.key).toBe(record.key ?? null);
          if (record.timestamp !== undefined) expect(read!.timestamp).toBe(record.timestamp);
        },
      ),
    );
  });

  it('Given any text stored as UTF-8, When read, Then it comes with its text (unless it holds U+FFFD) and its exact bytes', async () => {
    const store = await openStore();
    // Any code point (U+FFFD often), and bytes spliced in that break the UTF-8 or not.
    const withFffd = fc.array(
      fc.oneof(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constant('\uFFFD')),
      {
        maxLength: 4,
      },
    );
    await fc.assert(
      fc.asyncProperty(
        withFffd,
        fc.option(fc.uint8Array({ minLength: 1, maxLength: 3 })),
        async (parts, splice) => {
          const text = parts.join('');
          const utf8 = Buffer.from(text, 'utf8');
          const value = splice === null ? utf8 : Buffer.concat([utf8, splice]);
          const topic = fresh('topic');
          const [placed] = await store.log.append(topic, [{ value }]);
          const [read] = await store.log.read(topic, placed!.partition, placed!.offset - 1, 1);
          expect(Buffer.from(read!.value).equals(value)).toBe(true);
          if (splice === null && !text.includes('\uFFFD')) expect(read!.text).toBe(text);
          if (read!.text !== undefined) expect(Buffer.from(read!.text, 'utf8').equals(value)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('log offsets (SQLite)', () => {
  const append: fc.Arbitrary<LogAppend> = fc.oneof(
    fc.record({ value: fc.uint8Array({ maxLength: 8 }) }),
    fc.record({ value: fc.uint8Array({ maxLength: 8 }), key: text }),
    fc.record({ value: fc.uint8Array({ maxLength: 8 }), partition: fc.integer({ min: 0, max: 2 }) }),
  );

  it('Given any sequence of append batches, Then each partition holds offsets 0..n-1, handed out in order', async () => {
    const store = await openStore();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(append, { maxLength: 12 }), { maxLength: 6 }), async (batches) => {
        const topic = fresh('topic');
        await store.log.ensureTopic(topic, 3);
        const handedOut = new Map<number, number[]>();
        for (const batch of batches) {
          for (const { partition, offset } of await store.log.append(topic, batch)) {
            handedOut.set(partition, [...(handedOut.get(partition) ?? []), offset]);
          }
        }
        for (const partition of [0, 1, 2]) {
          const offsets = handedOut.get(partition) ?? [];
          expect(offsets).toEqual(offsets.map((_, i) => i));
          const stored = await store.log.read(topic, partition, -1, 1_000);
          expect(stored.map((r) => r.offset)).toEqual(offsets);
          expect(await store.log.bounds(topic, partition)).toEqual({
            earliest: offsets.length === 0 ? -1 : 0,
            latest: offsets.length - 1,
          });
        }
      }),
      { numRuns: 50 },
    );
  });
});

/** FNV-1a 32-bit straight from its definition, over the bytes `TextEncoder` gives. */
function referenceFnv1a(key: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

describe('partitionForKey', () => {
  it('Given the published FNV-1a test vectors, Then the hash matches them', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('Given any string, including astral and lone surrogates, Then the hash is FNV-1a of its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (key) => {
        expect(fnv1a32(key)).toBe(referenceFnv1a(key));
      }),
    );
  });

  it('Given any key and partition count, Then the partition is stable and within range', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 1_024 }), (key, partitions) => {
        const partition = partitionForKey(key, partitions);
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitions);
        expect(partitionForKey(key, partitions)).toBe(partition);
        expect(partition).toBe(referenceFnv1a(key) % partitions);
      }),
    );
  });

  it('Given a partition count that is not a whole number ≥ 1, Then it is refused', () => {
    expect(() => partitionForKey('k', 0)).toThrow(/partitions/);
    expect(() => partitionForKey('k', 2.5)).toThrow(/partitions/);
  });
});
