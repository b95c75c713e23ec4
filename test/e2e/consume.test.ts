import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, killGroup, type Project, project, scenarios, until } from './support.js';

const { readme } = scenarios('consume', 'publish');

async function withOrders(count: number, extra = ''): Promise<Project> {
  const p = project('e2e-consume-');
  writeOrdersAgent(p.dir, extra);
  writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(count));
  expectExit(await p.run('agentctl publish --file events.ndjson'), 0);
  return p;
}

async function committed(p: Project): Promise<number> {
  const status = await p.run('agentctl status --json');
  const parts = (JSON.parse(status.stdout) as { partitions: { committed?: string }[] }).partitions;
  return parts.reduce(
    (sum, part) => sum + (part.committed === undefined ? 0 : Number(part.committed) + 1),
    0,
  );
}

describe('README agentctl consume', () => {
  it('`--until-empty` stops once caught up, with its summary', async () => {
    const p = await withOrders(20);
    const run = await p.run(readme('agentctl consume --until-empty'));
    expectExit(run, 0);
    expect(run.stdout).toMatch(/stopped \(empty\)/);
    expect(run.stdout).toMatch(/read 20, processed 20/);
    expect(run.stderr).toMatch(/started from the initial position/);
  });

  it('bare `consume` runs until SIGINT, then drains and exits 0', async () => {
    const p = await withOrders(10);
    const run = p.start(readme('agentctl consume'));
    await until('the events are committed', async () => (await committed(p)) === 10);
    killGroup(run.child, 'SIGINT');
    const done = await run.done;
    expectExit(done, 0);
    expect(done.stdout).toMatch(/read 10, processed 10/);
  });

  it('`--source file:events.ndjson --from earliest --json` follows the file, printing NDJSON, and ends with a summary', async () => {
    const p = project('e2e-file-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(7));
    const run = p.start(readme('agentctl consume --source file:events.ndjson --from earliest --json'));
    await until('the file is read', () => /"processed":7\b/.test(run.stdout()));
    killGroup(run.child, 'SIGINT');
    const done = await run.done;
    expectExit(done, 0);
    const lines = done.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.type)).toContain('assigned');
    const summary = lines.at(-1)!;
    expect(summary).toMatchObject({ type: 'summary', read: 7, processed: 7 });
    for (const key of [
      'unmatched',
      'filtered',
      'parked',
      'runs',
      'skippedRuns',
      'delivered',
      'publishGiveUps',
      'commits',
      'durationMs',
      'stoppedBy',
    ]) {
      expect(summary).toHaveProperty(key);
    }
  });

  it('`--runner pool --concurrency 16 --max-events N` stops after N events', async () => {
    const p = await withOrders(1_010, "publisher: { sink: 'none' },");
    readme('agentctl consume --runner pool --concurrency 16 --max-events 100000');
    const run = await p.run('agentctl consume --runner pool --concurrency 16 --max-events 1000');
    expectExit(run, 0);
    expect(run.stdout).toMatch(/stopped \(max-events\)/);
    expect(run.stdout).toMatch(/read 1,000, processed 1,000/);
  });

  it('`--sink stdout` publishes results to stdout as NDJSON records', async () => {
    const p = await withOrders(3);
    const run = p.start(readme('agentctl consume --sink stdout'));
    await until('three records are printed', () => (run.stdout().match(/"value"/g) ?? []).length >= 3);
    killGroup(run.child, 'SIGINT');
    const done = await run.done;
    expectExit(done, 0);
    const records = done.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(3);
    for (const r of records)
      expect(Object.keys(r).sort()).toEqual(['headers', 'id', 'key', 'timestamp', 'value']);
    expect(records[0]!.value).toMatchObject({ process: 'billing', output: { charged: expect.any(String) } });
  });
});

describe('README agentctl publish', () => {
  it('publishes a file, stdin to another topic, one event from flags, and raw lines', async () => {
    const p = project('e2e-publish-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(4));
    writeFileSync(join(p.dir, 'mixed.ndjson'), `${orderEvents(2, 10)}not json\n{"no":"cloudevent"}\n`);

    const file = await p.run(readme('agentctl publish --file events.ndjson'));
    expectExit(file, 0);
    expect(file.stdout).toMatch(/published 4 events to local:orders/);

    const stdin = await p.run(readme('cat events.ndjson | agentctl publish --file - --source local:orders'));
    expectExit(stdin, 0);
    expect(stdin.stdout).toMatch(/published 4 events to local:orders/);

    const one = await p.run(
      readme(
        'agentctl publish --type submission.created --data \'{"submissionId":"s-1","title":"On Streams"}\' --subject s-1',
      ),
    );
    expectExit(one, 0);
    expect(one.stdout).toMatch(/published 1 event to local:orders/);

    const checked = await p.run('agentctl publish --file mixed.ndjson');
    expectExit(checked, 2);
    expect(checked.stderr).toMatch(/not JSON/);

    const raw = await p.run(readme('agentctl publish --file mixed.ndjson --raw'));
    expectExit(raw, 0);
    expect(raw.stdout).toMatch(/published 4 events/);

    const consume = await p.run('agentctl consume --until-empty --json');
    const summary = JSON.parse(consume.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    // 4 + 4 order.paid (the second 4 are the same ids, their runs skipped), 1 unmatched, 2 raw orders, 2 bad lines
    expect(summary).toMatchObject({ read: 13, parked: 2, unmatched: 1 });
  });
});
