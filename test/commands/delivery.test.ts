import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/**
 * The delivery promise as a user meets it through the CLI: `publish` into the embedded log, then one or
 * more `consume --until-empty` runs, with every execution of a step appended to a file by the step itself.
 */

interface Summary {
  type: 'summary';
  runs: { succeeded: number; failed: number; running: number; pending: number };
  skippedRuns: number;
  read: number;
}

/** A config whose rule `on-created` runs a process that appends `<name> <event id>` to executions.log. */
function agentConfig(dir: string, file: string, name: string, extra = '', stepDelayMs = 0): string {
  const path = join(dir, file);
  writeFileSync(
    path,
    `import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineAgent, defineProcess, rule } from 'agentctl';
export default defineAgent({
  name: '${name}',
  consumer: { localPartitions: 2 },
  ${extra}
  rules: [rule({ name: 'on-created', on: 'order.created', process: '${name}-process' })],
  processes: [
    defineProcess({
      name: '${name}-process',
      steps: [{
        name: 'effect',
        run: async ({ event }) => {
          if (${stepDelayMs} > 0) await new Promise((r) => setTimeout(r, ${stepDelayMs}));
          appendFileSync(join(${JSON.stringify(dir)}, 'executions.log'), '${name} ' + event.id + '\\n');
          return { ok: true };
        },
      }],
    }),
  ],
});
`,
  );
  return path;
}

function order(id: string, n: number, time = '2026-12-01T10:00:00Z') {
  return {
    specversion: '1.0',
    id,
    type: 'order.created',
    source: '/shop',
    subject: `customer-${n % 5}`,
    time,
    data: { n },
  };
}

function executions(dir: string): string[] {
  try {
    return readFileSync(join(dir, 'executions.log'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function summaryOf(stdout: string): Summary {
  const lines = stdout.split('\n').filter((l) => l.trim().startsWith('{'));
  const summary = lines.map((l) => JSON.parse(l) as Summary).findLast((l) => l.type === 'summary');
  if (summary === undefined) throw new Error(`no summary line in:\n${stdout}`);
  return summary;
}

function publish(dir: string, events: readonly object[], config: string): void {
  writeFileSync(join(dir, 'events.ndjson'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
  const out = agentctl(['publish', '--config', config, '--file', 'events.ndjson'], { cwd: dir });
  expect(out.code, out.stderr).toBe(0);
}

function consume(dir: string, config: string, ...args: string[]): Summary {
  const out = agentctl(['consume', '--config', config, '--until-empty', '--json', ...args], {
    cwd: dir,
    timeoutMs: 90_000,
  });
  expect(out.code, out.stderr).toBe(0);
  return summaryOf(out.stdout);
}

describe('delivery through the CLI', () => {
  it('Given two agents sharing one store with a rule of the same name, When each consumes, Then each runs its own process for every event', () => {
    const dir = tempDir();
    const billing = agentConfig(dir, 'billing.config.ts', 'billing');
    const audit = agentConfig(dir, 'audit.config.ts', 'audit');
    publish(
      dir,
      Array.from({ length: 50 }, (_, n) => order(`order-${n}`, n)),
      billing,
    );

    const first = consume(dir, billing);
    const second = consume(dir, audit);

    expect(first.runs.succeeded).toBe(50);
    expect(second.runs.succeeded).toBe(50);
    expect(second.skippedRuns).toBe(0);
    const log = executions(dir);
    expect(log.filter((l) => l.startsWith('billing ')).length).toBe(50);
    expect(log.filter((l) => l.startsWith('audit ')).length).toBe(50);
  });

  for (const runner of ['inline', 'pool'] as const) {
    it(`Given an NDJSON file that repeats event ids (a producer retry, another time), When consumed with the ${runner} runner, Then each event's process runs once`, () => {
      const dir = tempDir();
      const config = agentConfig(
        dir,
        'agentctl.config.ts',
        'orders',
        runner === 'pool' ? "runner: { kind: 'pool', concurrency: 8 }," : '',
        runner === 'pool' ? 40 : 0,
      );
      const events = [];
      for (let n = 0; n < 30; n++) {
        events.push(order(`order-${n}`, n));
        // The same event re-sent right after (in flight together) and much later with another time.
        if (n % 3 === 0) events.push(order(`order-${n}`, n));
        if (n % 7 === 0) events.push(order(`order-${n}`, n, '2026-12-01T11:00:00Z'));
      }
      // One partition, so the copies meet in one batch and in one pool.
      writeFileSync(config, readFileSync(config, 'utf8').replace('localPartitions: 2', 'localPartitions: 1'));
      publish(dir, events, config);

      const summary = consume(dir, config);

      const log = executions(dir);
      expect(log.length).toBe(30);
      expect(new Set(log).size).toBe(30);
      expect(summary.read).toBe(events.length);
      expect(summary.runs.succeeded).toBe(30);
      expect(summary.skippedRuns).toBe(events.length - 30);

      // A second agent run reads nothing new and repeats nothing.
      consume(dir, config);
      expect(executions(dir).length).toBe(30);
    });
  }
});
