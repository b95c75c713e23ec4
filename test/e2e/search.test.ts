import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, REPO, scenarios } from './support.js';

const { readme } = scenarios('search');

describe('README failed list --search', () => {
  it('Given 45 orders parked while billing was down, the documented searches find what the README says', async () => {
    const p = project('e2e-search-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(45));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);

    const words = await p.run(readme("agentctl failed list --search 'billing is down'"));
    expectExit(words, 0);
    expect(words.stdout.trim().split('\n').slice(1)).toHaveLength(45);

    // order-4, order-40 … order-45 (in the payload's orderId and subject)
    const prefix = await p.run(readme("agentctl failed list --search 'order-4*' --status any"));
    expectExit(prefix, 0);
    expect(prefix.stdout.match(/evt-\d+/g)?.sort()).toEqual(
      ['evt-4', 'evt-40', 'evt-41', 'evt-42', 'evt-43', 'evt-44', 'evt-45'].sort(),
    );

    const combined = await p.run(
      readme("agentctl failed list --search evt-3 --where 'attempts >= 1' --json"),
    );
    expectExit(combined, 0);
    expect((JSON.parse(combined.stdout) as { eventId: string }[]).map((i) => i.eventId)).toEqual(['evt-3']);
    const down = await p.run("agentctl failed list --search 'down billing' --json");
    expect(JSON.parse(down.stdout)).toEqual([]);
  }, 120_000);

  it('`npm run bench -- failed-search` (a small store, one round) prints its line: items, times per search, target', async () => {
    readme('npm run bench -- failed-search');
    const p = project('e2e-bench-search-');
    const bench = await p.run(`cd ${REPO} && node bench/run.js failed-search`, {
      env: { BENCH_ITEMS: '2000', BENCH_ROUNDS: '1' },
      timeoutMs: 90_000,
    });
    expectExit(bench, 0);
    const line = JSON.parse(bench.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(line).toMatchObject({ scenario: 'failed-search', items: 2000, underTarget: expect.any(Boolean) });
    expect(Object.keys(line.searches as object)).toEqual([
      'ev-777777',
      'timeout calling',
      'cust-42',
      'order.created',
    ]);
    for (const figures of Object.values(line.searches as object)) {
      expect(figures).toEqual({
        medianMs: expect.any(Number),
        minMs: expect.any(Number),
        maxMs: expect.any(Number),
      });
    }
  }, 120_000);
});
