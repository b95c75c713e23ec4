import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvent, orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios } from './support.js';

const { readme } = scenarios('operations');

interface Item {
  id: number;
  reason: string;
  status: string;
}

describe('README status, failed, replay and rules', () => {
  it('Given 45 parked decode failures and 5 parked process failures, the documented look-and-act commands do what the README says', async () => {
    const p = project('e2e-ops-');
    writeOrdersAgent(p.dir);
    // ids 1–45: lines that are not JSON (decode); then ids 46–50: order.paid while billing is down (process).
    writeFileSync(join(p.dir, 'junk.ndjson'), Array.from({ length: 45 }, (_, i) => `junk ${i}`).join('\n'));
    expectExit(await p.run('agentctl publish --file junk.ndjson --raw && agentctl consume --until-empty'), 0);
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(5));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);

    const status = await p.run(readme('agentctl status'));
    expectExit(status, 0);
    for (const section of ['AGENTS', 'PARTITIONS', 'RUNS', 'FAILED'])
      expect(status.stdout).toContain(section);
    expect(status.stdout).toMatch(/FAILED\s+50 pending \(decode 45, process 5\)/);

    const json = await p.run(readme('agentctl status --json'));
    expectExit(json, 0);
    expect(JSON.parse(json.stdout)).toHaveProperty('partitions');
    const jq = await p.run(
      readme("agentctl status --json | jq '.partitions[] | {partition, committed, latest, lagRecords}'"),
    );
    expectExit(jq, 0);
    expect(jq.stdout).toMatch(/"partition": "0"/);
    expect(jq.stdout).toMatch(/"lagRecords": 0/);
    const all = await p.run(readme('agentctl status --all'));
    expectExit(all, 0);
    expect(all.stdout).toContain('orders');

    const list = await p.run(readme('agentctl failed list'));
    expectExit(list, 0);
    expect(list.stdout).toMatch(/ID\s+REASON/);
    readme(
      'agentctl failed list [--reason decode|rule|process|publish] [--rule R] [--search TEXT] [--status pending|replayed|discarded|any]',
    );
    const items = async (flags: string) => {
      const r = await p.run(`agentctl failed list ${flags} --json`);
      expectExit(r, 0);
      return JSON.parse(r.stdout) as Item[];
    };
    expect(await items('--reason process')).toHaveLength(5);
    expect(await items('--rule bill')).toHaveLength(5);
    expect(await items("--search 'billing is down'")).toHaveLength(5);
    expect(await items('--status any')).toHaveLength(50);
    const asJson = await p.run(readme('agentctl failed list --json'));
    const every = JSON.parse(asJson.stdout) as (Item & { payload?: string })[];
    expect(every).toHaveLength(50);
    expect(every.find((i) => i.id === 46)?.payload).toContain('order.paid');

    const where = await p.run(
      readme(`agentctl failed list --where 'reason == "process" && event.type == "order.paid"'`),
    );
    expectExit(where, 0);
    expect(where.stdout.trim().split('\n').slice(1)).toHaveLength(5);
    expect(where.stdout).toContain('order.paid');
    expect(where.stdout).not.toContain('decode');

    const show = await p.run(readme('agentctl failed show 42'));
    expectExit(show, 0);
    expect(show.stdout).toMatch(/id:\s+42/);
    expect(show.stdout).toMatch(/reason:\s+decode/);
    expect(show.stdout).toContain('history');
    expect(show.stdout).toMatch(/payload \(\d+ bytes\):\njunk \d+/);

    const dry = await p.run(readme('agentctl replay --failed --id 42 --id 43 --dry-run'));
    expectExit(dry, 0);
    expect(dry.stdout).toMatch(/would replay 2 items; nothing changed/);
    const dryWhere = await p.run(
      readme(`agentctl replay --failed --where 'reason == "process" && attempts < 5' --dry-run`),
    );
    expectExit(dryWhere, 0);
    expect(dryWhere.stdout).toMatch(/would replay 5 items; nothing changed/);

    const discard = await p.run(readme('agentctl failed discard 42 43 --yes'));
    expectExit(discard, 0);
    expect((await items('--status discarded')).map((i) => i.id).sort()).toEqual([42, 43]);

    const exported = await p.run(readme('agentctl failed export --format ndjson > failed.ndjson'));
    expectExit(exported, 0);
    const lines = readFileSync(join(p.dir, 'failed.ndjson'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(48);
    expect(JSON.parse(lines[0]!)).toHaveProperty('reason');

    const unconfirmed = await p.run(readme('agentctl replay --failed'));
    expectExit(unconfirmed, 2);
    expect(unconfirmed.stderr).toMatch(/--yes/);
    expect(await items('--status pending')).toHaveLength(48);

    rmSync(join(p.dir, 'billing.down'));
    const byReason = await p.run(
      readme('agentctl replay --failed --reason process --since 2026-11-24T00:00:00Z --limit 100 --yes'),
    );
    expectExit(byReason, 0);
    expect(byReason.stdout).toMatch(/replayed 5 of 5 items/);
    expect((await items('--status replayed')).map((i) => i.reason)).toEqual(Array(5).fill('process'));

    const rest = await p.run(readme('agentctl replay --failed --yes'));
    expect(rest.stdout).toMatch(/replayed 0 of 43 items/);
    expect(rest.stdout).toMatch(/43 failed again \(still pending\)/);
    expect(await items('--status pending')).toHaveLength(43);
  }, 120_000);

  it('Given 5 orders billed while billing was down and 2 after, the documented runs commands show what ran', async () => {
    const p = project('e2e-runs-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'billing.down'), '');
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(5));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
    rmSync(join(p.dir, 'billing.down'));
    writeFileSync(join(p.dir, 'more.ndjson'), orderEvents(2, 6));
    expectExit(await p.run('agentctl publish --file more.ndjson && agentctl consume --until-empty'), 0);
    interface Run {
      id: string;
      eventId: string;
      state: string;
    }
    const runsOf = (stdout: string) =>
      (JSON.parse(stdout) as Run[]).map((r) => `${r.eventId}:${r.state}`).sort();

    const list = await p.run(readme('agentctl runs list'));
    expectExit(list, 0);
    expect(list.stdout).toMatch(/^RUN\s+STATE\s+RULE\/PROCESS/);
    expect(list.stdout.trim().split('\n')).toHaveLength(8);
    expect(list.stdout).toContain('iSNDFvAOZfbrgoUeIN8WHHXuJad');
    const failed = await p.run(readme('agentctl runs list --state failed --since 1h'));
    expectExit(failed, 0);
    expect(failed.stdout.trim().split('\n').slice(1)).toHaveLength(5);
    expect(failed.stdout).not.toContain('succeeded');
    const json = await p.run(
      readme('agentctl runs list --process billing --rule bill --group orders --json'),
    );
    expectExit(json, 0);
    expect(runsOf(json.stdout)).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => `evt-${n}:failed`),
      'evt-6:succeeded',
      'evt-7:succeeded',
    ]);
    const where = await p.run(
      readme(`agentctl runs list --where 'state == "failed" && step == "charge" && event.data.amount > 2'`),
    );
    expectExit(where, 0);
    expect(
      where.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => /evt-\d/.exec(l)?.[0])
        .sort(),
    ).toEqual(['evt-3', 'evt-4', 'evt-5']);

    const show = await p.run(readme('agentctl runs show iSNDFvAOZfbrgoUeIN8WHHXuJad'));
    expectExit(show, 0);
    expect(show.stdout).toMatch(/state:\s+failed/);
    expect(show.stdout).toMatch(/ {2}charge {2}failed {2}1 attempt\n {4}#1 .* failed: billing is down/);
    expect(show.stdout).toMatch(/parked \(1\):\n {2}\d+ {2}pending {2}process/);
    expect(show.stdout).toMatch(/event \(from the parked item, \d+ bytes\):\n\{/);
    const shown = await p.run(readme('agentctl runs show iSNDFv --json'));
    expectExit(shown, 0);
    const detail = JSON.parse(shown.stdout) as { run: Run; event: { stored: string; payload: string } };
    expect(detail.run).toMatchObject({
      id: 'iSNDFvAOZfbrgoUeIN8WHHXuJad',
      eventId: 'evt-3',
      state: 'failed',
    });
    expect(JSON.parse(detail.event.payload)).toMatchObject({ id: 'evt-3', data: { amount: 3 } });
  }, 120_000);

  it('lists the rules and tests events against them without side effects', async () => {
    const p = project('e2e-rules-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'event.json'), orderEvent(1));
    writeFileSync(join(p.dir, 'events.ndjson'), `${orderEvent(2)}\n${orderEvent(3, 'order.cancelled')}\n`);

    const list = await p.run(readme('agentctl rules list'));
    expectExit(list, 0);
    expect(list.stdout).toMatch(/bill\s+order\.paid\s+billing/);

    const one = await p.run(readme('agentctl rules test --event event.json'));
    expectExit(one, 0);
    expect(one.stdout).toMatch(/bill → billing .* would run/);
    const many = await p.run(readme('cat events.ndjson | agentctl rules test --event -'));
    expectExit(many, 0);
    expect(many.stdout).toMatch(/2 events: 1 matched, 1 unmatched/);
    const unmatched = await p.run(
      readme(`agentctl rules test --event events.ndjson --where 'outcome == "unmatched"'`),
    );
    expectExit(unmatched, 0);
    expect(unmatched.stdout).toMatch(/order\.cancelled .*no rule matches/);
    expect(unmatched.stdout).toMatch(/1 events: 0 matched, 1 unmatched/);
    expect(unmatched.stdout).toContain('(1 more events left out by --where)');
    expect(existsSync(join(p.dir, '.agentctl'))).toBe(false);
  });
  it('peeks at the log without touching it: first records, by time, around the checkpoint, filtered, and re-published', async () => {
    const p = project('e2e-peek-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(12));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);
    const before = await p.run('agentctl checkpoint list --json');

    const first = await p.run(readme('agentctl peek'));
    expectExit(first, 0);
    expect(first.stdout.trim().split('\n')).toHaveLength(10);
    expect(first.stdout).toMatch(/^\d \d+ {2}\d{4}-\d\d-\d\d \S+Z {2}order\./m);
    const recent = await p.run(readme('agentctl peek -n 5 --from -1h'));
    expect(recent.stdout.trim().split('\n')).toHaveLength(5);
    const around = await p.run(readme('agentctl peek --around-checkpoint -B 2 -A 3'));
    expectExit(around, 0);
    expect(around.stdout).toMatch(/^✓ /m);
    expect(around.stdout).toMatch(/^▶ /m);
    const paid = await p.run(readme(`agentctl peek --where 'event.type == "order.paid"' --json`));
    expectExit(paid, 0);
    const types = paid.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: { type: string } }).event.type);
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['order.paid']));
    const copy = await p.run(
      readme('agentctl peek --json -n 0 | agentctl publish --file - --source local:orders-copy'),
    );
    expectExit(copy, 0);
    expect(copy.stdout).toMatch(/published 24 events to local:orders-copy/);

    expect((await p.run('agentctl checkpoint list --json')).stdout).toBe(before.stdout);
  }, 120_000);
});
