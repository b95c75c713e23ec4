import { describe, expect, it } from 'vitest';
import { Unbatch } from '../../../../src/core/strategies/library/unbatch.js';
import { MessageRejected } from '../../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../../src/core/types.js';
import { Collect } from '../../../support/collect.js';
import { message } from '../../../support/messages.js';
import { strategyBehaviour } from '../strategy-behaviour.js';

/** The i-th batch: three members of partition `p{i % 3}`. */
function batchOf(i: number, size = 3): Message<readonly Message<string>[]> {
  const partition = `p${i % 3}`;
  const members = Array.from({ length: size }, (_, j) =>
    message(`${i}.${j}`, { partition, position: `${Math.floor(i / 3) * size + j}` }),
  );
  const last = members[members.length - 1]!;
  return message(members, { partition, position: last.position, covers: members });
}

strategyBehaviour(
  'Unbatch',
  (next) => new Unbatch<string>(next),
  (i) => batchOf(i),
);

describe('Unbatch', () => {
  it('given a batch, when submitted, then each member is forwarded as itself, in order', () => {
    const next = new Collect<string>();
    const unbatch = new Unbatch<string>(next);
    const batch = batchOf(0);
    unbatch.submit(batch);
    expect(next.messages).toHaveLength(3);
    for (const [j, m] of next.messages.entries()) expect(m).toBe(batch.payload[j]);
  });

  it('given a next step that rejects mid-batch, when the same batch is submitted again, then it resumes at the rejected member', () => {
    const next = new Collect<string>().rejectEvery(3);
    const unbatch = new Unbatch<string>(next);
    const batch = batchOf(0, 4);
    expect(() => unbatch.submit(batch)).toThrow(MessageRejected);
    expect(next.payloads).toEqual(['0.0', '0.1']);
    expect(() => unbatch.submit(batchOf(1))).toThrow(MessageRejected);
    unbatch.submit(batch);
    expect(next.payloads).toEqual(['0.0', '0.1', '0.2', '0.3']);
  });

  it('given an empty batch, when submitted, then nothing is forwarded', () => {
    const next = new Collect<string>();
    new Unbatch<string>(next).submit(message([], { covers: [] }));
    expect(next.messages).toEqual([]);
  });
});
