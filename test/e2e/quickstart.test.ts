import { cpSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectExit, project, REPO, scenarios } from './support.js';

const { readme } = scenarios('quickstart');

describe('README Quickstart', () => {
  it('Given a fresh clone, When `npm run demo` runs, Then it publishes, consumes, shows what failed and replays it', async () => {
    const p = project('e2e-clone-');
    readme('git clone <this repository> agentctl && cd agentctl');
    readme('npm ci && npm run demo');
    const clone = await p.run(`git clone --quiet ${REPO} agentctl`);
    expectExit(clone, 0);
    const dir = join(p.dir, 'agentctl');
    // Instead of `npm ci` (no registry installs here): the dependencies and the build it would make.
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    cpSync(join(REPO, 'dist'), join(dir, 'dist'), { recursive: true });
    const demo = await p.run(`cd agentctl && ${readme('npm run demo')}`, { timeoutMs: 90_000 });
    expectExit(demo, 0);
    for (const step of [
      'publish --file events.ndjson --raw',
      'consume --until-empty',
      'status',
      'failed list',
    ]) {
      expect(demo.stdout).toContain(`$ agentctl ${step}`);
    }
    expect(demo.stdout).toMatch(/published 300 events/);
    expect(demo.stdout).toContain('$ agentctl replay --failed --reason process --yes');
    expect(demo.stdout).toMatch(/replayed \d+ of \d+ items?/);
  }, 120_000);

  it('Given an empty directory, When the four "own agent" commands run, Then the sample agent runs and its failures show', async () => {
    const p = project('e2e-own-');
    const init = await p.run(readme('agentctl init'));
    expectExit(init, 0);
    expect(existsSync(join(p.dir, 'agentctl.config.ts'))).toBe(true);
    expect(readFileSync(join(p.dir, 'events.ndjson'), 'utf8').trim().split('\n')).toHaveLength(300);

    const publish = await p.run(readme('agentctl publish --file events.ndjson --raw'));
    expectExit(publish, 0);
    expect(publish.stdout).toMatch(/published 300 events to local:/);

    // The same text as the consume section's example, which consume.test.ts runs as its own.
    const consume = await p.run('agentctl consume --until-empty');
    expectExit(consume, 0);
    expect(consume.stdout).toMatch(/stopped \(empty\)/);
    expect(consume.stdout).toMatch(/read 300/);

    const look = await p.run(readme('agentctl status && agentctl failed list'));
    expectExit(look, 0);
    expect(look.stdout).toContain('AGENTS');
    expect(look.stdout).toContain('PARTITIONS');
    expect(look.stdout).toMatch(/FAILED\s+\d+ pending/);
    expect(look.stdout).toMatch(/ID\s+REASON/);
    expect(look.stdout).toContain('decode');
  }, 90_000);

  it('Given `agentctl` linked on the PATH as the README says, Then init works in any directory', async () => {
    const p = project('e2e-linked-');
    const init = await p.run('mkdir -p anywhere && cd anywhere && agentctl init && ls');
    expectExit(init, 0);
    expect(init.stdout).toContain('agentctl.config.ts');
  });

  it('`npm run sim` (a few seeds) runs the seeded simulation and says every scenario held', async () => {
    readme('npm run sim');
    const p = project('e2e-sim-');
    const sim = await p.run(`cd ${REPO} && npm run sim -- --seeds 5`, { timeoutMs: 90_000 });
    expectExit(sim, 0);
    expect(sim.stdout).toMatch(/5 scenarios, 0 failed/);
  });

  it('`npm run bench` (one scenario, few events) prints one JSON line per scenario with the documented fields', async () => {
    readme('npm run bench');
    const p = project('e2e-bench-');
    const bench = await p.run(`cd ${REPO} && node bench/run.js local`, {
      env: { BENCH_EVENTS: '2000' },
      timeoutMs: 90_000,
    });
    expectExit(bench, 0);
    const line = JSON.parse(bench.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    for (const field of [
      'events',
      'seconds',
      'eventsPerSecond',
      'baselineEventsPerSecond',
      'ratio',
      'rssMb',
    ]) {
      expect(line).toHaveProperty(field);
    }
  }, 120_000);
});
