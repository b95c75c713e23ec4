import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { finishes, harness } from './stream-processor-harness.js';

describe('StreamProcessor reassignment', () => {
  it('Given messages held after a rejection, When a partition is revoked, Then the messages already submitted are not submitted again', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 6,
      concurrency: 1,
      maxPending: 2,
      task: async () => {
        // The first call queues the revocation: it is applied while the rest of the batch is held.
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        await delay(10);
      },
    });
    const processor = h.processor({ untilEmpty: true, pollMax: 12 });

    const summary = await finishes(processor.run(), 'the processor');

    expect(summary.stoppedBy).toBe('empty');
    const kept = [...h.started].filter(([k]) => k.startsWith('0@'));
    expect(kept).toEqual(Array.from({ length: 6 }, (_, i) => [`0@${i}`, 1]));
    expect([...h.done].filter(([k]) => k.startsWith('0@'))).toEqual(kept);
    expect(await h.checkpoint('0')).toBe('5');
  });

  it('Given a join that abandons work of a kept partition, When the pipeline is rebuilt, Then that partition is read again from its first position not done, and held messages are not submitted twice', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 5,
      concurrency: 2,
      maxPending: 2,
      task: async (message) => {
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        // 0@1 outlasts the join's timeout: the join abandons it while 0@2.. wait in the held batch.
        await delay(message.partition === '0' && message.position === '1' ? 1_000 : 20);
      },
    });
    const processor = h.processor({ untilEmpty: true, pollMax: 10, drainTimeoutMs: 20 });

    const summary = await finishes(processor.run(), 'the processor');

    expect(summary.stoppedBy).toBe('empty');
    expect(h.assignor.releasedPartitions).toEqual(['1']);
    expect(new Map([...h.started].filter(([k]) => k.startsWith('0@')))).toEqual(
      new Map([
        ['0@0', 1],
        ['0@1', 2],
        ['0@2', 1],
        ['0@3', 1],
        ['0@4', 1],
      ]),
    );
    expect(new Map([...h.done].filter(([k]) => k.startsWith('0@')))).toEqual(
      new Map(['0@0', '0@1', '0@2', '0@3', '0@4'].map((k) => [k, 1])),
    );
    expect(await h.checkpoint('0')).toBe('4');
  });

  it('Given slow work on every partition, When a rebalance join times out, Then each kept partition finishes, its checkpoint never passing a position not done', async () => {
    let revoked = false;
    const h = await harness({
      perPartition: 5,
      concurrency: 2,
      maxPending: 10,
      task: async () => {
        if (!revoked) h.assignor.revoke('1');
        revoked = true;
        await delay(300);
      },
    });
    const processor = h.processor({ untilEmpty: true, pollMax: 10, drainTimeoutMs: 20 });
    const checkpoints: string[] = [];
    const watching = (async () => {
      for (;;) {
        const position = await h.checkpoint('0');
        if (position !== undefined && checkpoints.at(-1) !== position) {
          checkpoints.push(position);
          // Everything up to a committed position was done before it was committed.
          for (let i = 0; i <= Number(position); i++) expect(h.done.has(`0@${i}`)).toBe(true);
        }
        if (position === '4') return;
        await delay(5);
      }
    })();

    const summary = await finishes(processor.run(), 'the processor');
    await finishes(
      watching.then(() => summary),
      'the checkpoint of partition 0',
    );

    expect(summary.stoppedBy).toBe('empty');
    for (let i = 0; i < 5; i++) expect(h.done.get(`0@${i}`)).toBe(1);
    expect(await h.checkpoint('0')).toBe('4');
  });
});

describe('StreamProcessor losing a lease', () => {
  it('Given slow work of a partition, When its lease is lost, Then that work is abandoned at once rather than joined, and the kept partition finishes', async () => {
    let lost = false;
    const h = await harness({
      perPartition: 3,
      concurrency: 4,
      maxPending: 10,
      task: async (message) => {
        if (!lost) h.assignor.revoke('1', 'lost');
        lost = true;
        await delay(message.partition === '1' ? 15_000 : 20);
      },
    });
    const processor = h.processor({ untilEmpty: true, drainTimeoutMs: 60_000 });

    // Far less than the lost partition's work (15 s) or the drain timeout (60 s).
    const summary = await finishes(processor.run(), 'the processor', 8_000);

    expect(summary.stoppedBy).toBe('empty');
    expect([...h.done.keys()].filter((k) => k.startsWith('1@'))).toEqual([]);
    expect(await h.checkpoint('1')).toBeUndefined();
    expect(await h.checkpoint('0')).toBe('2');
    expect(h.assignor.releasedPartitions).toEqual([]);
  });
});
