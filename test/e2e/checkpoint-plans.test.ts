import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/core/store/partition-for-key.js';
import { orderEvent, writeOrdersAgent } from './fixtures.js';
import { expectExit, type Project, project, scenarios } from './support.js';

const { readme } = scenarios('checkpoint-plans');

interface Row {
  partition: string;
  position?: string;
  updatedAt?: number;
}

async function list(p: Project): Promise<Row[]> {
  const r = await p.run('agentctl checkpoint list --json');
  expectExit(r, 0);
  return JSON.parse(r.stdout) as Row[];
}

const positions = (rows: readonly Row[]) => Object.fromEntries(rows.map((r) => [r.partition, r.position]));

describe('README checkpoint moves: plans, --execute, history', () => {
  it('Given 1,600 events in partition 2 consumed to the tip, every README checkpoint example does what it says', async () => {
    const p = project('e2e-ckplan-');
    writeOrdersAgent(p.dir, "publisher: { sink: 'none' },");
    let n = 0;
    while (partitionForKey(`key-${n}`, 4) !== 2) n++;
    const events = Array.from({ length: 1_600 }, (_, i) =>
      JSON.stringify({ ...(JSON.parse(orderEvent(i)) as object), subject: `key-${n}` }),
    );
    writeFileSync(join(p.dir, 'events.ndjson'), `${events.join('\n')}\n`);
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);
    expectExit(await p.run('agentctl consume --until-empty'), 0);
    const tip = await list(p);
    expect(positions(tip)['2']).toBe('1599');

    // Plans change nothing.
    const plan = await p.run(readme('agentctl checkpoint set --to-time -1h'));
    expectExit(plan, 0);
    expect(plan.stdout).toMatch(/^2 +1599 +\(none\) +back +1,?600 re-read/m);
    expect(plan.stdout).toContain('nothing was changed: add --execute to apply this plan');
    const resetPlan = await p.run(readme('agentctl checkpoint reset'));
    expectExit(resetPlan, 0);
    expect(resetPlan.stdout).toContain('plan: orders on local:orders, --to earliest');
    expect(await list(p)).toEqual(tip);

    // Executed moves.
    const back = await p.run(readme('agentctl checkpoint set --partition 2 --shift-by=-100 --execute --yes'));
    expectExit(back, 0);
    expect(positions(await list(p))['2']).toBe('1499');
    const to = await p.run(readme('agentctl checkpoint set --partition 2 --to 1500 --execute --yes'));
    expectExit(to, 0);
    expect(to.stdout).toMatch(/^2 +1499 +1500 +forward +1 skipped/m);
    const latest = await p.run(readme('agentctl checkpoint reset --partition 2 --to latest --execute --yes'));
    expectExit(latest, 0);
    expect(positions(await list(p))['2']).toBe('1599');
    const past = await p.run(
      readme(
        'agentctl checkpoint set --to-time 2025-01-31T12:00:00Z --execute --yes --reason "re-run after the fix"',
      ),
    );
    expectExit(past, 0);
    expect(Object.values(positions(await list(p))).every((v) => v === undefined)).toBe(true);
    const reset = await p.run(
      readme('agentctl checkpoint reset --execute --yes --reason "replay everything"'),
    );
    expectExit(reset, 0);
    expect(reset.stdout).toContain('nothing to change');

    const history = await p.run(readme('agentctl checkpoint history --partition 2 --limit 5'));
    expectExit(history, 0);
    const rows = history.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/#\s+WHEN\s+WHO\s+GROUP\s+SOURCE\s+PARTITION\s+BEFORE\s+AFTER\s+WHY\s+COMMAND/);
    expect(rows.slice(1)).toEqual([
      expect.stringMatching(
        / 2 +1599 +\(none\) +re-run after the fix +checkpoint set --to-time 2025-01-31T12:00:00.000Z/,
      ),
      expect.stringMatching(/ 2 +1500 +1599 +- +checkpoint reset --to latest --partition 2$/),
      expect.stringMatching(/ 2 +1499 +1500 +- +checkpoint set --to 1500 --partition 2$/),
      expect.stringMatching(/ 2 +1599 +1499 +- +checkpoint set --shift-by -100 --partition 2$/),
    ]);
  }, 300_000);
});
