import { describe, expect, it } from 'vitest';
import { FakeClock, flushMicrotasks } from '../../../src/core/clock.js';
import type { PublishRecord } from '../../../src/core/publish/publisher.js';
import { MemorySink } from '../../../src/core/publish/sinks/memory-sink.js';

const record = (id: string, bytes = 1): PublishRecord => ({ id, value: new Uint8Array(bytes), timestamp: 0 });

describe('MemorySink', () => {
  it('given failNext(2), then two sends throw and the third delivers, all counted in sends', async () => {
    const sink = new MemorySink().failNext(2, new Error('nope'));
    await expect(sink.send([record('a')])).rejects.toThrow('nope');
    await expect(sink.send([record('a'), record('b')])).rejects.toThrow('nope');
    await sink.send([record('a')]);
    expect(sink.sends).toEqual([1, 2, 1]);
    expect(sink.delivered.map((r) => r.id)).toEqual(['a']);
  });

  it('given failRecords, then matching records are reported by index and the others delivered', async () => {
    const sink = new MemorySink().failRecords((r) => r.id === 'b');
    const result = await sink.send([record('a'), record('b'), record('c')]);
    expect([...result.failures.keys()]).toEqual([1]);
    expect(sink.delivered.map((r) => r.id)).toEqual(['a', 'c']);
    sink.failRecords(undefined);
    expect((await sink.send([record('b')])).failures.size).toBe(0);
  });

  it('given setDown(true), then every send throws until setDown(false)', async () => {
    const sink = new MemorySink({ name: 'm' }).setDown(true);
    await expect(sink.send([record('a')])).rejects.toThrow('m is down');
    await expect(sink.send([record('a')])).rejects.toThrow('m is down');
    sink.setDown(false);
    await sink.send([record('a')]);
    expect(sink.delivered).toHaveLength(1);
  });

  it('given a batch over its limits, then the send throws', async () => {
    const sink = new MemorySink({ maxBatch: 2, maxBatchBytes: 10 });
    await expect(sink.send([record('a'), record('b'), record('c')])).rejects.toThrow('maxBatch');
    await expect(sink.send([record('a', 6), record('b', 6)])).rejects.toThrow('maxBatchBytes');
    await sink.send([record('big', 50)]);
    expect(sink.delivered.map((r) => r.id)).toEqual(['big']);
  });

  it('given latency, then a send completes only after the clock moved, and an abort cuts it short', async () => {
    const clock = new FakeClock(0);
    const sink = new MemorySink({ clock, latencyMs: 100 });
    let done = false;
    const sending = sink.send([record('a')]).then(() => {
      done = true;
    });
    await clock.advance(99);
    expect(done).toBe(false);
    await clock.advance(1);
    await sending;
    const controller = new AbortController();
    const aborted = sink.send([record('b')], controller.signal);
    await flushMicrotasks();
    controller.abort(new Error('too slow'));
    await expect(aborted).rejects.toThrow('too slow');
    expect(sink.delivered.map((r) => r.id)).toEqual(['a']);
  });

  it('given a closed sink, then sends throw', async () => {
    const sink = new MemorySink();
    await sink.close();
    expect(sink.isClosed).toBe(true);
    await expect(sink.send([record('a')])).rejects.toThrow('closed');
  });
});
