import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, type Project, project, scenarios, until } from './support.js';
import { inTerminal } from './terminal.js';

const { readme } = scenarios('tui');

async function withParked(): Promise<Project> {
  const p = project('e2e-tui-');
  writeOrdersAgent(p.dir);
  writeFileSync(join(p.dir, 'billing.down'), '');
  writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(3));
  expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
  return p;
}

describe('README agentctl tui', () => {
  it('`tui` attaches to the store in a terminal and quits with q; without a terminal it points to status --json', async () => {
    const p = await withParked();
    const refused = await p.run(`${readme('agentctl tui')} < /dev/null`);
    expectExit(refused, 2);
    expect(refused.stderr).toContain('agentctl status --json');

    const tui = await inTerminal(p, 'agentctl tui');
    try {
      const screen = await tui.waitFor(/Failed\s+3 pending/);
      expect(screen).toMatch(/sqlite .*agent\.db/);
      expect(screen).toContain('Partitions');
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
      expect(await tui.screen()).toContain('[exited 0]');
    } finally {
      await tui.close();
    }
  });

  it('`tui --readonly` shows everything and refuses actions', async () => {
    const p = await withParked();
    const tui = await inTerminal(p, readme('agentctl tui --readonly'));
    try {
      await tui.waitFor(/Failed\s+3 pending/);
      await tui.keys('?');
      await tui.waitFor(/read-only console: replay, discard, checkpoint and drain are refused/);
      await tui.keys('Escape');
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
    } finally {
      await tui.close();
    }
    const still = await p.run('agentctl failed list --json');
    expect(JSON.parse(still.stdout)).toHaveLength(3);
  });

  it('`tui` at 80×24: the Failed pane keeps id, reason, attempts and error; Enter opens an item in full and scrolls it', async () => {
    const p = await withParked();
    const tui = await inTerminal(p, 'agentctl tui', { columns: 80, rows: 24 });
    try {
      await tui.waitFor(/1 Partitions .*2 Processes .*3 Retries .*4 Failed/);
      await tui.keys('4');
      const list = await tui.waitFor(/^› +\d+ +process .* step "charge": bil/m);
      expect(list).toMatch(/^ +ID +REASON +.*ATTEMPTS +.*ERROR/m);
      const id = /^› +(\d+) /m.exec(list)?.[1];
      await tui.keys('Enter');
      const opened = await tui.waitFor(new RegExp(`failed message ${id} .* lines 1–17 of \\d+`));
      expect(opened).toMatch(/^error: +Error: step "charge": billing is down$/m);
      expect(opened).toMatch(/^run: +[\w-]{27}$/m);
      const total = Number(/lines 1–17 of (\d+)/.exec(opened)?.[1]);
      expect(total).toBeGreaterThan(17);
      await tui.keys('j', 'j', 'j', 'j');
      const below = await tui.waitFor(/lines 5–21 of \d+/);
      expect(below).toMatch(/^history \(1\):/m);
      await tui.keys('End');
      const end = await tui.waitFor(new RegExp(`lines ${total - 16}–${total} of ${total}`));
      expect(end).toMatch(/^ {2}"type": "order\.paid",$/m);
      expect(end).toMatch(/^}$/m);
      await tui.keys('PageUp', 'k');
      await tui.waitFor(new RegExp(`lines ${total - 33 > 0 ? total - 33 : 1}–`));
      await tui.keys('q');
      await tui.waitFor(/^› +\d+ +process /m);
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
      expect(await tui.screen()).toContain('[exited 0]');
    } finally {
      await tui.close();
    }
  });

  it('`consume --tui` runs the agent with the console; q drains and ends it', async () => {
    const p = project('e2e-consume-tui-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(5));
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);
    const tui = await inTerminal(p, readme('agentctl consume --tui'));
    try {
      await tui.waitFor(/orders@\S+/);
      await until('the events are committed', async () => {
        const s = JSON.parse((await p.run('agentctl checkpoint list --json')).stdout) as {
          lagRecords: number;
        }[];
        return s.length > 0 && s.every((c) => c.lagRecords === 0);
      });
      await tui.keys('q');
      await until('the agent drains and ends', () => tui.ended(), 20_000);
      expect(await tui.screen()).toContain('[exited 0]');
    } finally {
      await tui.close();
    }
  });
});

describe('the console looks without touching (80×24)', () => {
  it('Enter on a run shows its steps and attempts; p on a partition shows the records around its checkpoint, and the checkpoint stays', async () => {
    const p = await withParked();
    // Events after the checkpoint: the ones the agent has not read yet.
    writeFileSync(join(p.dir, 'more.ndjson'), orderEvents(8, 4));
    expectExit(await p.run('agentctl publish --file more.ndjson'), 0);
    const checkpoints = async () =>
      JSON.parse((await p.run('agentctl checkpoint list --json')).stdout) as {
        partition: string;
        position: string;
      }[];
    const before = await checkpoints();
    const zero = before.find((c) => c.partition === '0')?.position;
    expect(zero).toMatch(/^\d+$/);
    const tui = await inTerminal(p, 'agentctl tui --readonly', { columns: 80, rows: 24 });
    try {
      await tui.waitFor(/1 Partitions .*2 Processes .*3 Retries .*4 Failed/);
      await tui.keys('2');
      await tui.waitFor(/^› [\w-]{27} +failed /m);
      await tui.keys('Enter');
      const run = await tui.waitFor(/^steps \(1\):$/m);
      expect(run).toMatch(/^run [\w-]{27} \(agentctl runs show\) +lines 1–17 of \d+$/m);
      expect(run).toMatch(/^state: +failed$/m);
      expect(run).toMatch(/^ {2}charge {2}failed {2}1 attempt$/m);
      expect(run).toMatch(/^ {4}#1 {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +\d+ms {2}failed: billing is down$/m);
      await tui.keys('q');
      await tui.waitFor(/^› [\w-]{27} +failed /m);
      await tui.keys('1');
      await tui.waitFor(/^p peek {2}\/ filter/m);
      await tui.keys('p');
      const peeked = await tui.waitFor(/^▶ /m);
      expect(peeked).toMatch(/^peek local:orders partition 0 around its checkpoint +lines 1–\d+ of \d+$/m);
      expect(peeked).toMatch(new RegExp(`^checkpoint: +${zero}$`, 'm'));
      expect(peeked).toMatch(new RegExp(`^✓ 0 ${zero} .* order\\.paid {2}order-\\d+$`, 'm'));
      expect(peeked).toMatch(new RegExp(`^▶ 0 ${Number(zero) + 1} .* order\\.paid {2}order-\\d+$`, 'm'));
      await tui.keys('q');
      await tui.waitFor(/^p peek {2}\/ filter/m);
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
    } finally {
      await tui.close();
    }
    expect(await checkpoints()).toEqual(before);
  });
});
