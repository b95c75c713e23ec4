import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/core/store/partition-for-key.js';
import { orderEvent, orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, type Project, project, scenarios, until } from './support.js';

const { readme } = scenarios('ranges', 'drain', 'prune');

/** Runs a command line at a terminal (a pty from `script`), answering `y` to its question. */
function atTerminal(p: Project, line: string) {
  return p.run(`(sleep 1; echo y) | script -qec ${JSON.stringify(line)} /dev/null`);
}

interface Checkpoint {
  partition: string;
  position: string;
}

async function checkpoints(p: Project): Promise<Map<string, string>> {
  const r = await p.run('agentctl checkpoint list --json');
  expectExit(r, 0);
  return new Map((JSON.parse(r.stdout) as Checkpoint[]).map((c) => [c.partition, c.position]));
}

describe('README replay of a range and checkpoints', () => {
  it('Given 1,600 events in partition 2, the range replays and checkpoint moves do what the README says', async () => {
    const p = project('e2e-ranges-');
    writeOrdersAgent(p.dir, "publisher: { sink: 'none' },");
    let n = 0;
    while (partitionForKey(`key-${n}`, 4) !== 2) n++;
    const events = Array.from({ length: 1_600 }, (_, i) => {
      const e = JSON.parse(orderEvent(i)) as Record<string, unknown>;
      return JSON.stringify({ ...e, subject: `key-${n}` });
    });
    writeFileSync(join(p.dir, 'events.ndjson'), `${events.join('\n')}\n${orderEvents(3, 5_000)}`);
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);
    expect((await checkpoints(p)).get('2')).toBe('1599');

    // At a terminal the range replay asks first (without one it refuses: see the proposed README fix).
    const range = await atTerminal(p, readme('agentctl replay --from 1200 --partition 2 --to 1500'));
    expectExit(range, 0);
    expect(range.stdout).toMatch(/re-processed 301 messages of local:orders partition 2 \(1200\.\.1500\)/);
    expect(range.stdout).toMatch(/301 skipped \(already succeeded\)/);
    expect(range.stdout).toMatch(/checkpoints untouched/);
    const rerun = await atTerminal(p, readme('agentctl replay --from 1200 --partition 2 --rerun'));
    expectExit(rerun, 0);
    expect(rerun.stdout).toMatch(/re-processed 400 messages/);
    expect(rerun.stdout).toMatch(/runs: 400 succeeded/);
    expect((await checkpoints(p)).get('2')).toBe('1599');

    readme('agentctl checkpoint list [--source URI] [--json]');
    const list = await p.run('agentctl checkpoint list');
    expectExit(list, 0);
    expect(list.stdout).toMatch(/PARTITION\s+CHECKPOINT\s+LATEST\s+LAG/);
    const bySource = await p.run('agentctl checkpoint list --source local:orders');
    expectExit(bySource, 0);
    expect(bySource.stdout).toContain('orders on local:orders');

    const set = await p.run('agentctl checkpoint set --partition 2 --position 1500 --execute --yes');
    expectExit(set, 0);
    expect((await checkpoints(p)).get('2')).toBe('1500');
    const latest = await p.run('agentctl checkpoint reset --partition 2 --to latest --execute --yes');
    expectExit(latest, 0);
    expect((await checkpoints(p)).get('2')).toBe('1599');
    const reset = await p.run('agentctl checkpoint reset --execute --yes');
    expectExit(reset, 0);
    expect([...(await checkpoints(p)).values()].every((v) => v === undefined)).toBe(true);
    const again = await p.run('agentctl consume --until-empty');
    expect(again.stdout).toMatch(/read 1,603/);
  }, 120_000);
});

describe('README drain', () => {
  it('drains the only live agent, then one named by its id, each reporting what it finished', async () => {
    const p = project('e2e-drain-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(5));
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);

    const liveAgent = async () => {
      const s = JSON.parse((await p.run('agentctl status --json')).stdout) as {
        agents: { id: string; alive: boolean; state: string }[];
      };
      return s.agents.find((a) => a.alive && a.state !== 'STARTING')?.id;
    };

    const first = p.start('agentctl consume');
    await until('the agent is live', async () => (await liveAgent()) !== undefined);
    const drain = await p.run(readme('agentctl drain'));
    expectExit(drain, 0);
    expectExit(await first.done, 0);

    const second = p.start('agentctl consume');
    let id: string | undefined;
    await until('the agent is live', async () => {
      id = await liveAgent();
      return id !== undefined;
    });
    readme('agentctl drain --agent submission-agent@host#4711 --timeout 120 --json');
    const named = await p.run(`agentctl drain --agent '${id}' --timeout 120 --json`);
    expectExit(named, 0);
    expect(JSON.parse(named.stdout)).toMatchObject({ agent: { id } });
    expectExit(await second.done, 0);
  }, 90_000);
});

describe('README store prune', () => {
  it('previews, prunes by age with --json, and VACUUM gives the space back', async () => {
    const p = project('e2e-prune-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(20));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);

    const recent = await p.run(readme('agentctl store prune --older-than 14d --yes --json'));
    expectExit(recent, 0);
    expect(JSON.parse(recent.stdout)).toMatchObject({ deleted: { runs: 0, efforts: 0, failed: 0, log: 0 } });
    const quiet = await p.run(readme('agentctl store prune --older-than 14d --yes'));
    expectExit(quiet, 0);

    readme(
      'agentctl store prune --older-than 30d [--only runs,efforts,failed,log] [--dry-run] [--yes] [--json]',
    );
    const only = '--older-than 0s --only runs,efforts,failed,log';
    const dry = await p.run(`agentctl store prune ${only} --dry-run --json`);
    expectExit(dry, 0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, deleted: { runs: 20, efforts: 20 } });
    const done = await p.run(`agentctl store prune ${only} --yes --json`);
    expectExit(done, 0);
    expect(JSON.parse(done.stdout)).toMatchObject({ deleted: { runs: 20, efforts: 20 } });

    const vacuum = await p.run(readme('sqlite3 .agentctl/agent.db VACUUM'));
    expectExit(vacuum, 0);
    expect(existsSync(join(p.dir, '.agentctl', 'agent.db'))).toBe(true);
    expectExit(await p.run('agentctl status'), 0);
  });
});
