import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios, until } from './support.js';
import { inTerminal } from './terminal.js';

const { readme } = scenarios('redrive');

interface Item {
  eventId: string;
  status: string;
  history: { via: string; to?: string }[];
}

describe('README: replay --failed --to-origin', () => {
  it('Given orders parked from local:orders while billing is down, the documented redrive commands plan, send each event back to its partition once, and mark it replayed', async () => {
    const p = project('e2e-redrive-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(2));
    const park = 'agentctl consume --until-empty';
    expectExit(await p.run(`agentctl publish --file events.ndjson --partition-key subject && ${park}`), 0);
    const items = async () => {
      const r = await p.run('agentctl failed list --status any --json');
      expectExit(r, 0);
      return JSON.parse(r.stdout) as Item[];
    };
    const logged = async () => {
      const r = await p.run('agentctl peek --source local:orders --from earliest -n 100 --json');
      expectExit(r, 0);
      return r.stdout.split('\n').filter((l) => l.includes('"evt-')).length;
    };
    expect(await logged()).toBe(2);

    const plan = await p.run(readme('agentctl replay --failed --to-origin --dry-run'));
    expectExit(plan, 0);
    expect(plan.stdout).toContain('dry run: would redrive 2 items to local:orders; nothing changed');
    expect(plan.stdout).toMatch(/evt-1\s+local:orders partition \d key order-1/);
    expect(await logged()).toBe(2);
    expect((await items()).map((i) => i.status)).toEqual(['pending', 'pending']);

    const run = await p.run(readme('agentctl replay --failed --to-origin --yes'));
    expectExit(run, 0);
    expect(run.stdout).toMatch(/redrove 2 of 2 items to local:orders in .*, each confirmed/);
    expect(await logged()).toBe(4);
    for (const item of await items()) {
      expect(item.status).toBe('replayed');
      expect(item.history.at(-1)).toMatchObject({ via: 'redrive' });
    }

    // Billing is still down: consuming the redriven events parks them again, for the next examples.
    expectExit(await p.run(park), 0);
    const paced = await p.run(
      readme('agentctl replay --failed --to-origin --reason process --rate 50/s --yes'),
    );
    expectExit(paced, 0);
    expect(paced.stdout).toContain('redrove 2 of 2 items');
    expect(await logged()).toBe(6);

    expectExit(await p.run(park), 0);
    const where = await p.run(
      readme("agentctl replay --failed --to-origin --where 'attempts < 5' --since 2h --yes"),
    );
    expectExit(where, 0);
    expect(where.stdout).toContain('redrove 2 of 2 items');
    expect(await logged()).toBe(8);
    expect((await items()).map((i) => i.history.filter((h) => h.via === 'redrive').length)).toEqual([3, 3]);
  }, 240_000);

  it('`tui`: o in the Failed pane asks, then redrives the selected item to its origin and marks it replayed', async () => {
    const p = project('e2e-redrive-tui-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(2));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
    const tui = await inTerminal(p, 'agentctl tui');
    try {
      await tui.waitFor(/Failed\s+2 pending/);
      await tui.keys('4');
      await tui.waitFor(/2 pending \(process 2\) +· +newest first/);
      await tui.keys('o');
      await tui.waitFor(/Redrive 1 failed message \(\d\) to the source they were read from\?/);
      await tui.keys('y');
      await tui.waitFor(/redrove 1 of 1 item to local:orders/);
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
    } finally {
      await tui.close();
    }
    const listed = await p.run('agentctl failed list --status any --json');
    const statuses = (JSON.parse(listed.stdout) as Item[]).map((i) => i.status).sort();
    expect(statuses).toEqual(['pending', 'replayed']);
  }, 180_000);
});
