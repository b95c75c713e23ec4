import { afterEach, describe, expect, it } from 'vitest';
import { LocalSource } from '../../../src/core/sources/local-source.js';
import type { Source } from '../../../src/core/sources/source.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import type { Bytes, Message, Partition, StartPosition } from '../../../src/core/types.js';

/** What a contract run needs from an adapter under test. */
export interface SourceFixture {
  readonly source: Source;
  /** Writes values to the source (each lands in some partition). */
  append(values: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** A `LocalSource` over `store`'s log (topic `events`); closing the fixture closes the store. */
export function localLogFixture(store: StateStore): SourceFixture {
  const encoder = new TextEncoder();
  return {
    source: new LocalSource({ store, idleMs: 10 }),
    append: async (values) => {
      await store.log.append(
        'events',
        values.map((v) => ({ value: encoder.encode(v) })),
      );
    },
    close: () => store.close(),
  };
}

export interface SourceContractOptions {
  /** The source keeps history and can start at a position (log, file, Kinesis, stream queue). */
  readonly replayable: boolean;
  /** Most time a test waits for messages to show up. */
  readonly timeoutMs?: number;
}

const text = (m: Message<Bytes>) => new TextDecoder().decode(m.payload);

async function pollUntil(source: Source, count: number, timeoutMs: number): Promise<Message<Bytes>[]> {
  const got: Message<Bytes>[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    const fetched = await source.poll(100, AbortSignal.timeout(timeoutMs));
    got.push(...fetched.messages);
    if (fetched.messages.length > 0) await source.commit(lastPositions(fetched.messages));
  }
  return got;
}

function lastPositions(messages: readonly Message<Bytes>[]): Map<Partition, string> {
  const last = new Map<Partition, string>();
  for (const m of messages) last.set(m.partition, m.position);
  return last;
}

async function assignAll(source: Source, start: StartPosition): Promise<Partition[]> {
  const partitions = (await source.partitions()).map((p) => p.id);
  await source.assign(new Map(partitions.map((p) => [p, start])));
  return partitions;
}

/**
 * The behaviour every `Source` adapter must show. Registers vitest tests; `open` builds a fresh, empty
 * source for each test.
 */
export function sourceContract(
  name: string,
  open: () => Promise<SourceFixture>,
  options: SourceContractOptions,
): void {
  const timeoutMs = options.timeoutMs ?? 5_000;

  describe(`Source contract: ${name}`, () => {
    let fixture: SourceFixture | undefined;
    const setup = async () => {
      fixture = await open();
      await fixture.source.connect();
      return fixture;
    };
    afterEach(async () => {
      await fixture?.source.close();
      await fixture?.close();
      fixture = undefined;
    });

    it('has a stable id without credentials and at least one partition', async () => {
      const { source } = await setup();
      expect(source.id).not.toMatch(/:[^/@]*@/);
      expect((await source.partitions()).length).toBeGreaterThan(0);
    });

    it('delivers every appended value exactly once, in position order within each partition', async () => {
      const { source, append } = await setup();
      await assignAll(source, { kind: 'earliest' });
      const values = Array.from({ length: 250 }, (_, i) => JSON.stringify({ i }));
      await append(values);
      const got = await pollUntil(source, values.length, timeoutMs);
      got.push(...(await pollUntil(source, 1, 200)));
      expect(got.map(text).sort()).toEqual([...values].sort());
      const byPartition = new Map<Partition, string[]>();
      for (const m of got)
        byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.position]);
      for (const positions of byPartition.values()) {
        for (let i = 1; i < positions.length; i++) {
          expect(source.compare(positions[i - 1]!, positions[i]!)).toBeLessThan(0);
        }
      }
      for (const m of got) expect(m.raw).toEqual(m.payload);
    });

    it('reports caughtUp once nothing new is left', async () => {
      const { source, append } = await setup();
      await assignAll(source, { kind: 'earliest' });
      await append(['{"a":1}']);
      await pollUntil(source, 1, timeoutMs);
      let caughtUp = false;
      const deadline = Date.now() + timeoutMs;
      while (!caughtUp && Date.now() < deadline) {
        const fetched = await source.poll(10);
        caughtUp = fetched.caughtUp && fetched.messages.length === 0;
      }
      expect(caughtUp).toBe(true);
    });

    it('stops delivering a paused partition until it is resumed', async () => {
      const { source, append } = await setup();
      const partitions = await assignAll(source, { kind: 'earliest' });
      source.pause(partitions);
      await append(['{"p":1}', '{"p":2}']);
      const whilePaused = await pollUntil(source, 1, 300);
      source.resume(partitions);
      const after = await pollUntil(source, 2 - whilePaused.length, timeoutMs);
      // A source may deliver what it had fetched before the pause; it must not lose or repeat anything.
      expect([...whilePaused, ...after].map(text).sort()).toEqual(['{"p":1}', '{"p":2}']);
    });

    it('stops delivering revoked partitions', async () => {
      const { source, append } = await setup();
      const partitions = await assignAll(source, { kind: 'earliest' });
      await source.revoke(partitions);
      await append(['{"r":1}']);
      expect(await pollUntil(source, 1, 300)).toEqual([]);
    });

    it('describes every partition', async () => {
      const { source, append } = await setup();
      const partitions = await assignAll(source, { kind: 'earliest' });
      await append(['{"d":1}']);
      await pollUntil(source, 1, timeoutMs);
      const statuses = await source.describe();
      expect(statuses.map((s) => s.partition).sort()).toEqual([...partitions].sort());
      for (const s of statuses) expect(typeof s.state).toBe('string');
    });

    it('returns promptly from an idle poll when the signal aborts', async () => {
      const { source } = await setup();
      await assignAll(source, { kind: 'earliest' });
      const started = Date.now();
      const fetched = await source.poll(10, AbortSignal.timeout(50));
      expect(fetched.messages).toEqual([]);
      expect(Date.now() - started).toBeLessThan(2_000);
    });

    if (options.replayable) {
      it('resumes after a position and does not deliver the position itself', async () => {
        const { source, append } = await setup();
        const partitions = await assignAll(source, { kind: 'earliest' });
        // Enough values that every partition holds several, so there is something behind the cut.
        const values = Array.from({ length: 3 * partitions.length + 3 }, (_, n) => JSON.stringify({ n }));
        await append(values);
        const first = await pollUntil(source, values.length, timeoutMs);
        const cut = first.find((m) => first.filter((o) => o.partition === m.partition).length >= 3)!;
        expect(cut).toBeDefined();
        const samePartition = first.filter((m) => m.partition === cut.partition);
        await source.revoke([cut.partition]);
        await source.assign(
          new Map([[cut.partition, { kind: 'after', position: cut.position } as StartPosition]]),
        );
        const again = await pollUntil(source, samePartition.length - 1, timeoutMs);
        expect(again.map((m) => m.position)).toEqual(samePartition.slice(1).map((m) => m.position));
      });

      it('starting at latest skips history and delivers only new values', async () => {
        const { source, append } = await setup();
        await append(['{"old":1}']);
        await assignAll(source, { kind: 'latest' });
        await append(['{"new":1}']);
        const got = await pollUntil(source, 1, timeoutMs);
        expect(got.map(text)).toEqual(['{"new":1}']);
      });
    }
  });
}
