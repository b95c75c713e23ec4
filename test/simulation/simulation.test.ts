import { describe, expect, it } from 'vitest';
import { runSeeds } from './run-seeds.js';

/**
 * The fixed seed set CI runs: 300 scenarios of every kind (seed mod 5 picks the kind), each checked
 * against every invariant. A failure lists one line per failing seed with the command that runs it again
 * with a trace (`npm run sim -- --seed N`); `npm run sim -- --seeds 20000` is the long run.
 */
const FROM = 1;
const COUNT = 300;

describe('Simulation of the engine under faults', () => {
  it(`Given ${COUNT} seeded scenarios (groups, duplicates, rebalances, crashes, outages), When each runs to its end, Then no invariant is broken`, async () => {
    const summary = await runSeeds({ from: FROM, count: COUNT });
    const report = [
      `${summary.failed.length} of ${summary.outcomes.length} scenarios broke an invariant:`,
      ...summary.lines,
    ].join('\n');
    expect(summary.failed.length, report).toBe(0);
  }, 300_000);
});
