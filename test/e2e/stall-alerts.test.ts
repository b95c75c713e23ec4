import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios } from './support.js';

const { readme } = scenarios('stall-alerts');
const promtool = spawnSync('promtool', ['--version']).status === 0;
const requirePromtool = process.env.AGENTCTL_REQUIRE_PROMTOOL === '1';

describe('README status --exit-code and agentctl alerts', () => {
  it('status --exit-code says 0 while the agent is caught up, 3 once it lags past --max-lag', async () => {
    const p = project('e2e-stall-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(4));
    expectExit(await p.run('agentctl publish --file events.ndjson && agentctl consume --until-empty'), 0);

    const healthy = await p.run(
      readme('agentctl status --exit-code --max-lag 10000 || echo "agents need a look"'),
    );
    expectExit(healthy, 0);
    expect(healthy.stdout).not.toContain('agents need a look');
    expect(healthy.stdout).not.toContain('PROBLEMS');

    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);
    const behind = await p.run('agentctl status --exit-code --max-lag 0 || echo "agents need a look"');
    expectExit(behind, 0);
    expect(behind.stdout).toContain('agents need a look');
    expect(behind.stdout).toMatch(/PROBLEMS\n {2}orders \d: \d records? behind \(more than --max-lag 0\)/);
  }, 120_000);

  it('prints the rules to a file, with --for and --job, and promtool accepts them', async () => {
    const p = project('e2e-alerts-');
    expectExit(await p.run(readme('agentctl alerts > agentctl-rules.yml')), 0);
    const plain = readFileSync(join(p.dir, 'agentctl-rules.yml'), 'utf8');
    expect(plain).toMatch(/^groups:\n {2}- name: "agentctl"\n {4}rules:\n/);
    expect(plain).toContain('alert: AgentctlPartitionStalled');
    expect(plain).toContain('for: 5m');
    expectExit(await p.run(readme('agentctl alerts --for 10m --job orders-agent > agentctl-rules.yml')), 0);
    const tuned = readFileSync(join(p.dir, 'agentctl-rules.yml'), 'utf8');
    expect(tuned).toContain('agentctl_partition_stalled{job=\\"orders-agent\\"} == 1');
    expect(tuned).toContain('for: 10m');
    const check = readme('promtool check rules agentctl-rules.yml');
    if (!promtool && !requirePromtool) {
      console.warn('SKIPPED: promtool check rules (promtool not installed: Debian package prometheus)');
      return;
    }
    const checked = await p.run(check);
    expectExit(checked, 0);
    expect(checked.stdout).toContain('SUCCESS: 6 rules found');
  }, 60_000);
});
