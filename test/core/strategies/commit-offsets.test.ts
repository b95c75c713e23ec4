import { describe, expect, it } from 'vitest';
import { CommitOffsets } from '../../../src/core/strategies/commit-offsets.js';
import { CommitLog } from '../../support/collect.js';
import { message, nth, offsetKey } from '../../support/messages.js';
import { strategyBehaviour } from './strategy-behaviour.js';

strategyBehaviour('CommitOffsets', (_next, ctx) => new CommitOffsets(ctx.commit), nth, { terminal: true });

describe('CommitOffsets', () => {
  it('given no outcome, when messages are submitted, then each is committed as processed in order', () => {
    const log = new CommitLog();
    const commit = new CommitOffsets(log.commit);
    for (let i = 0; i < 3; i++) commit.submit(nth(i, 1));
    expect(log.entries.map((e) => [e.message.position, e.outcome])).toEqual([
      ['0', 'processed'],
      ['1', 'processed'],
      ['2', 'processed'],
    ]);
  });

  it('given an outcome, when a batch is submitted, then every offset it covers is committed with that outcome', () => {
    const log = new CommitLog();
    const commit = new CommitOffsets(log.commit, 'unmatched');
    const covers = [nth(0), nth(1), nth(2)];
    commit.submit(message(covers, { covers }));
    expect(log.offsets.map(offsetKey)).toEqual(['p0@0', 'p1@0', 'p2@0']);
    expect(log.entries.map((e) => e.outcome)).toEqual(['unmatched']);
    expect(commit.poll()).toBeUndefined();
  });
});
