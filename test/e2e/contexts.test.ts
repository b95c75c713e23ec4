// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${RABBIT_PASSWORD} is what the README's context holds
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios, until } from './support.js';
import { inTerminal } from './terminal.js';

const { readme } = scenarios('contexts');

describe('README contexts and doctor', () => {
  it('Given an agent project, the documented context commands name environments, refuse writes in a read-only one, and keep no secret', async () => {
    const p = project('e2e-contexts-');
    writeOrdersAgent(p.dir);
    expectExit(await p.run(readme('agentctl context add dev --db .agentctl/agent.db --source local:')), 0);
    expectExit(
      await p.run(
        readme(
          "agentctl context add prod --source 'amqp://app:${RABBIT_PASSWORD}@mq.prod:5672/orders?queue=orders' --db postgres://agentctl@db.prod/agents --readonly --production",
        ),
      ),
      0,
    );
    const file = join(p.dir, '.config', 'agentctl', 'contexts.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('${RABBIT_PASSWORD}');
    expectExit(await p.run(readme('agentctl context use dev')), 0);
    const list = await p.run(readme('agentctl context list'));
    expectExit(list, 0);
    expect(list.stdout).toMatch(/^\*\s+dev\s+local:/m);
    expect(list.stdout).toMatch(
      /^\s+prod\s+amqp:\/\/\*\*\*@mq\.prod:5672\/orders\?queue=orders\s.*read-only,production$/m,
    );
    const refused = await p.run(readme('agentctl replay --failed --yes --context prod'));
    expectExit(refused, 2);
    expect(refused.stderr).toContain('error: context "prod" is read-only: agentctl replay');
    const show = await p.run(readme('agentctl context show prod --json'));
    expectExit(show, 0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'prod',
      readonly: true,
      production: true,
      secretsFrom: ['RABBIT_PASSWORD'],
    });
    expectExit(await p.run(readme('agentctl context use --none')), 0);
    expectExit(await p.run(readme('agentctl context remove dev')), 0);
    expect(JSON.parse((await p.run('agentctl context list --json')).stdout)).toHaveLength(1);
  });

  it('Given an agent project, agentctl doctor passes on the local setup and fails with a fix on a broker that is not there', async () => {
    const p = project('e2e-doctor-');
    writeOrdersAgent(p.dir);
    const doctor = await p.run(readme('agentctl doctor'));
    expectExit(doctor, 0);
    expect(doctor.stdout).toMatch(/^config\s+\S+agentctl\.config\.ts\s+default$/m);
    expect(doctor.stdout).toContain('✓ config loads');
    expect(doctor.stdout).toContain('all checks passed');
    expect(existsSync(join(p.dir, '.agentctl', 'agent.db'))).toBe(false);
    const json = await p.run(readme('agentctl doctor --json'));
    expectExit(json, 0);
    const report = JSON.parse(json.stdout) as { ok: boolean; settings: object; checks: unknown[] };
    expect(report.ok).toBe(true);
    expect(Object.keys(report.settings)).toEqual(['context', 'config', 'source', 'db', 'sink']);
    const down = await p.run(
      readme("agentctl doctor --source 'amqp://guest:guest@127.0.0.1:5673/?queue=orders'"),
    );
    expectExit(down, 1);
    expect(down.stdout).toContain('✗ source reachable: amqp://***@127.0.0.1:5673/?queue=orders');
    expect(down.stdout).toContain('    fix: check that RabbitMQ runs at 127.0.0.1:5673');
  });

  it('Given a production context, in a terminal: checkpoint set asks for the context name (y is not enough), and the TUI shows it in a banner', async () => {
    const p = project('e2e-production-');
    writeOrdersAgent(p.dir);
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(3));
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);
    expectExit(await p.run('agentctl context add live --db .agentctl/agent.db --production'), 0);
    const position = async () => {
      const rows = JSON.parse((await p.run('agentctl checkpoint list --json')).stdout) as {
        partition: string;
        position?: string;
      }[];
      return rows.find((r) => r.partition === '0')?.position;
    };
    const refused = await inTerminal(
      p,
      'agentctl checkpoint set --partition 0 --position 0 --context live --execute',
    );
    try {
      await refused.waitFor(/This is the production context "live": type its name to confirm:/);
      await refused.keys('y', 'Enter');
      await until('the command ends', () => refused.ended(), 10_000);
      expect(await refused.screen()).toContain('error: cancelled: "y" is not the context\'s name');
      expect(await refused.screen()).toContain('[exited 2]');
    } finally {
      await refused.close();
    }
    expect(await position()).toBeUndefined();
    const typed = await inTerminal(
      p,
      'agentctl checkpoint set --partition 0 --position 0 --context live --execute',
    );
    try {
      await typed.waitFor(/type its name to confirm:/);
      await typed.keys('live', 'Enter');
      await until('the command ends', () => typed.ended(), 10_000);
      expect(await typed.screen()).toContain('1 checkpoint moved');
    } finally {
      await typed.close();
    }
    expect(await position()).toBe('0');
    const tui = await inTerminal(p, 'agentctl tui --context live');
    try {
      await tui.waitFor(/PRODUCTION: live/);
      await tui.keys('q');
      await until('the console quits', () => tui.ended(), 10_000);
    } finally {
      await tui.close();
    }
  });
});
