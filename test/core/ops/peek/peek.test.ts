import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Where } from '../../../../src/core/filter/where.js';
import { LocalPeekReader } from '../../../../src/core/ops/peek/local-peek-reader.js';
import { type PeekedRecord, peek } from '../../../../src/core/ops/peek/peek.js';
import type { PeekRequest } from '../../../../src/core/ops/peek/peek-request.js';
import { peekWhere } from '../../../../src/core/ops/peek/peek-where.js';
import { openSqliteStore } from '../../../../src/core/store/sqlite/sqlite-state-store.js';

async function collect(records: AsyncIterable<PeekedRecord>): Promise<PeekedRecord[]> {
  const out: PeekedRecord[] = [];
  for await (const r of records) out.push(r);
  return out;
}

const record = fc.record({
  partition: fc.integer({ min: 0, max: 3 }),
  at: fc.integer({ min: 0, max: 1_000 }),
  body: fc.oneof(
    fc
      .record({ type: fc.constantFrom('a', 'b'), n: fc.integer() })
      .map((e) =>
        JSON.stringify({ specversion: '1.0', id: `${e.n}`, source: '/t', type: e.type, data: { n: e.n } }),
      ),
    fc.string(),
  ),
});

describe('peek', () => {
  it("with --where 'true' yields exactly what it yields without a filter (any log, any start, any limit)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { maxLength: 40 }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        fc.constantFrom<PeekRequest['start']>(
          { kind: 'earliest' },
          { kind: 'time', ms: 500 },
          { kind: 'position', position: '2' },
        ),
        async (records, limit, start) => {
          const store = await openSqliteStore({ path: ':memory:' });
          try {
            await store.log.ensureTopic('t', 4);
            await store.log.append(
              't',
              // Appended in time order, as a log is written: each partition's times rise with its offsets.
              [...records]
                .sort((a, b) => a.at - b.at)
                .map((r) => ({ value: Buffer.from(r.body), partition: r.partition, timestamp: r.at })),
            );
            const request: PeekRequest = { start, ...(limit === undefined ? {} : { limit }) };
            const reader = new LocalPeekReader(store.log, 't');
            const plain = await collect(peek({ reader, request }));
            const where = Where.compile('true', peekWhere('local:t'));
            const filtered = await collect(peek({ reader, request, where }));
            expect(filtered).toEqual(plain);
            expect(where.skipped).toBe(0);
            // Stored-time order across partitions, and every partition in offset order.
            const times = plain.map((r) => r.timestamp);
            expect(times).toEqual([...times].sort((a, b) => a - b));
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
