import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Ack, AckRanges } from '../../../../src/core/sources/amqp/ack-ranges.js';

/** The broker's side of one channel: what each `basic.ack` acknowledges (RabbitMQ semantics). */
class BrokerChannel {
  readonly unacked = new Set<number>();
  readonly acked: number[] = [];

  deliver(tag: number): void {
    this.unacked.add(tag);
  }

  apply(ack: Ack): void {
    if (!this.unacked.has(ack.tag)) throw new Error(`PRECONDITION_FAILED - unknown delivery tag ${ack.tag}`);
    const covered = ack.multiple ? [...this.unacked].filter((t) => t <= ack.tag) : [ack.tag];
    for (const t of covered) {
      this.unacked.delete(t);
      this.acked.push(t);
    }
  }
}

function delivered(n: number): AckRanges {
  const ranges = new AckRanges();
  for (let tag = 1; tag <= n; tag++) ranges.delivered(tag);
  return ranges;
}

describe('AckRanges', () => {
  it('Given tags 1..5 delivered, When 1..3 are done, Then one multiple ack at 3', () => {
    const ranges = delivered(5);
    expect(ranges.settle([2, 1, 3])).toEqual([{ tag: 3, multiple: true }]);
    expect(ranges.unacked).toBe(2);
  });

  it('Given tag 1 still at work, When 2..4 are done, Then each is acked on its own and 1 stays unacked', () => {
    const ranges = delivered(4);
    expect(ranges.settle([3, 2, 4])).toEqual([
      { tag: 2, multiple: false },
      { tag: 3, multiple: false },
      { tag: 4, multiple: false },
    ]);
    expect(ranges.unacked).toBe(1);
  });

  it('Given 2..4 acked on their own, When 1 is done, Then a single ack of 1 (the others are not acked twice)', () => {
    const ranges = delivered(5);
    ranges.settle([2, 3, 4]);
    expect(ranges.settle([1])).toEqual([{ tag: 1, multiple: false }]);
    expect(ranges.settle([5])).toEqual([{ tag: 5, multiple: false }]);
    expect(ranges.unacked).toBe(0);
  });

  it('Given 3 at work, When 1, 2, 4, 5 are done, Then a multiple ack at 2 and single acks of 4 and 5', () => {
    const ranges = delivered(5);
    expect(ranges.settle([5, 4, 2, 1])).toEqual([
      { tag: 2, multiple: true },
      { tag: 4, multiple: false },
      { tag: 5, multiple: false },
    ]);
  });

  it('Given a forgotten (nacked) tag, Then a multiple ack passes over it and it is never acked', () => {
    const ranges = delivered(3);
    ranges.forget(2);
    expect(ranges.settle([1, 3, 2])).toEqual([{ tag: 3, multiple: true }]);
  });

  it('Given unknown or twice-settled tags, Then they are ignored', () => {
    const ranges = delivered(2);
    expect(ranges.settle([1])).toEqual([{ tag: 1, multiple: false }]);
    expect(ranges.settle([1, 9])).toEqual([]);
  });

  it('upTo lists the live tags at or below a tag', () => {
    const ranges = delivered(5);
    ranges.settle([2]);
    expect(ranges.upTo(4)).toEqual([1, 3, 4]);
  });

  it('Property: every done tag is acked exactly once, no tag at work is ever acked, the broker never sees an unknown tag', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 40 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 10 }),
        (n, rounds, forgotten) => {
          const ranges = delivered(n);
          const broker = new BrokerChannel();
          for (let tag = 1; tag <= n; tag++) broker.deliver(tag);
          const gone = new Set(forgotten.filter((t) => t <= n));
          for (const tag of gone) {
            ranges.forget(tag);
            broker.unacked.delete(tag);
          }
          const done = new Set<number>();
          for (const round of rounds) {
            const tags = round.filter((t) => t <= n);
            for (const t of tags) if (!gone.has(t)) done.add(t);
            for (const ack of ranges.settle(tags)) broker.apply(ack);
            for (const t of broker.acked) expect(done.has(t)).toBe(true);
          }
          expect(new Set(broker.acked).size).toBe(broker.acked.length);
          expect(new Set(broker.acked)).toEqual(done);
          expect(ranges.unacked).toBe(broker.unacked.size);
        },
      ),
    );
  });

  it('Property: with gaps between delivered tags (another consumer on the channel), acks stay exact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.array(fc.nat(), { maxLength: 40 }), { maxLength: 30 }),
        (steps, rounds) => {
          const ranges = new AckRanges();
          const broker = new BrokerChannel();
          const tags: number[] = [];
          let tag = 0;
          for (const step of steps) {
            tag += step;
            tags.push(tag);
            ranges.delivered(tag);
            broker.deliver(tag);
          }
          const done = new Set<number>();
          for (const round of rounds) {
            const picked = round.map((i) => tags[i % tags.length]!);
            for (const t of picked) done.add(t);
            for (const ack of ranges.settle(picked)) broker.apply(ack);
          }
          expect(new Set(broker.acked).size).toBe(broker.acked.length);
          expect(new Set(broker.acked)).toEqual(done);
          expect(ranges.unacked).toBe(tags.length - done.size);
        },
      ),
    );
  });
});
