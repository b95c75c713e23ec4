import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { startMeteredAgent } from '../support/metered-agent.js';
import { tempDir } from '../support/temp.js';

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const requirePromtool = process.env.AGENTCTL_REQUIRE_PROMTOOL === '1';

interface RuleFile {
  groups: { rules: { alert: string; expr: string }[] }[];
}

/** Every `agentctl_*` metric name the rules' expressions name. */
function namedMetrics(file: RuleFile): string[] {
  const names = file.groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/\bagentctl_\w+/g) ?? []));
  return [...new Set(names)].sort();
}

describe('agentctl alerts', () => {
  it.skipIf(!promtool && !requirePromtool)(
    `Given promtool${promtool ? '' : ' (NOT INSTALLED: install the Debian package prometheus)'}, When the rules are printed with defaults and with --for/--job, Then promtool check rules accepts them`,
    () => {
      expect(promtool, 'AGENTCTL_REQUIRE_PROMTOOL=1 but promtool is not on PATH').toBe(true);
      const dir = tempDir();
      for (const [name, args] of [
        ['default.yml', []],
        ['tuned.yml', ['--for', '10m', '--job', 'orders-agent']],
      ] as const) {
        const printed = agentctl(['alerts', ...args], { cwd: dir });
        expect(printed.code, printed.stderr).toBe(0);
        writeFileSync(join(dir, name), printed.stdout);
        const check = spawnSync('promtool', ['check', 'rules', join(dir, name)], { encoding: 'utf8' });
        expect(check.status, check.stdout + check.stderr).toBe(0);
        expect(check.stdout).toMatch(/SUCCESS: 6 rules found/);
      }
    },
  );

  it('Given the rules, When each is read, Then they cover the six signals and honour --for and --job', () => {
    const dir = tempDir();
    const file = agentctl(['alerts', '--for', '10m', '--job', 'orders-agent', '--json'], { cwd: dir }).json<
      RuleFile & { groups: { rules: { alert: string; expr: string; for: string }[] }[] }
    >();
    const rules = file.groups[0]!.rules;
    expect(rules.map((r) => r.alert)).toEqual([
      'AgentctlPartitionStalled',
      'AgentctlLagGrowing',
      'AgentctlPoisonStorm',
      'AgentctlSinkDisabled',
      'AgentctlFailedStoreGrowing',
      'AgentctlAgentGone',
    ]);
    expect(rules.find((r) => r.alert === 'AgentctlPartitionStalled')).toMatchObject({
      expr: 'agentctl_partition_stalled{job="orders-agent"} == 1',
      for: '10m',
    });
    for (const r of rules) expect(r.expr).not.toMatch(/agentctl_\w+(?!\{job="orders-agent")[[\s)]/);
  });

  it('Given a bad --for, When alerts runs, Then it exits 2 naming the flag', () => {
    const result = agentctl(['alerts', '--for', 'soon'], { cwd: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--for "soon" is not a Prometheus duration/);
    expect(result.stdout).toBe('');
  });

  it('Given a running agent with --metrics-port, When /metrics is scraped, Then every metric a rule names is exported', async () => {
    const dir = tempDir();
    writeConfig(
      dir,
      `{
        name: 'exported',
        source: 'file:events.ndjson',
        rules: [rule({ name: 'r', on: 'tick', process: 'p' })],
        processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: () => undefined }] })],
      }`,
    );
    writeFileSync(
      join(dir, 'events.ndjson'),
      `${JSON.stringify({ specversion: '1.0', id: 'e1', source: 't', type: 'tick' })}\n`,
    );
    const names = namedMetrics(agentctl(['alerts', '--json'], { cwd: dir }).json<RuleFile>());
    expect(names.length).toBeGreaterThanOrEqual(6);
    const { run, url } = await startMeteredAgent(dir);
    try {
      await expect.poll(() => run.stdout().includes('"type":"progress"'), { timeout: 15_000 }).toBe(true);
      const text = await (await fetch(url)).text();
      const exported = new Set([...text.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]));
      expect(names.filter((n) => !exported.has(n))).toEqual([]);
      // The partition the agent reads has its stall gauge and checkpoint age, with their labels.
      expect(text).toMatch(
        /^agentctl_partition_stalled\{group="exported",source="file:[^"]+",partition="0"/m,
      );
      expect(text).toMatch(/^agentctl_checkpoint_age_seconds\{group="exported"/m);
    } finally {
      run.child.kill('SIGTERM');
      expect((await run.done).code).toBe(0);
    }
  });
});
