import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { startMeteredAgent } from '../support/metered-agent.js';
import { tempDir } from '../support/temp.js';

const STALL_AFTER_MS = 1_500;

/** An agent on the local log whose step hangs on event `t2` until the file `release` appears. */
function hangingAgent(dir: string): void {
  writeConfig(
    dir,
    `{
      name: 'hang',
      consumer: {
        heartbeatMs: 200,
        stallAfterMs: ${STALL_AFTER_MS},
        localPartitions: 1,
        commitPolicy: { intervalMs: 200 },
      },
      rules: [rule({ name: 'r', on: 'tick', process: 'p' })],
      processes: [defineProcess({ name: 'p', steps: [{ name: 'wait', run: async (ctx) => {
        if (ctx.event.id !== 't2') return;
        if (!existsSync('started')) writeFileSync('started', String(Date.now()));
        while (!existsSync('release')) await new Promise((r) => setTimeout(r, 50));
      } }] })],
    }`,
    "import { existsSync, writeFileSync } from 'node:fs';",
  );
}

function publish(dir: string, ids: readonly string[]): void {
  const lines = ids.map((id) => JSON.stringify({ specversion: '1.0', id, source: 't', type: 'tick' }));
  writeFileSync(join(dir, 'events.ndjson'), `${lines.join('\n')}\n`);
  expect(agentctl(['publish', '-f', 'events.ndjson'], { cwd: dir }).code).toBe(0);
}

interface Row {
  readonly partition: string;
  readonly committed?: string;
  readonly lagRecords?: number;
  readonly stall?: {
    readonly reason: string;
    readonly since: number;
    readonly position?: string;
    readonly waitingOn?: string;
    readonly run?: { readonly id: string; readonly step?: string; readonly stepAttempts: number };
  };
}

function statusRows(dir: string): Row[] {
  const result = agentctl(['status', '--json'], { cwd: dir });
  expect(result.code, result.stderr).toBe(0);
  return result.json<{ partitions: Row[] }>().partitions;
}

async function scrape(url: string, name: string): Promise<number> {
  const text = await (await fetch(url, { keepalive: false })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('stall detection through the CLI', () => {
  it('Given a consuming agent whose step hangs on one event, When status is asked, Then the partition is STALLED within stallAfterMs + 1 s with position, run, step and attempt, --exit-code exits 3 and the metric is 1; once the step finishes it clears and exits 0; lag past --max-lag exits 3', async () => {
    const dir = tempDir();
    hangingAgent(dir);
    publish(dir, ['t0', 't1', 't2', 't3', 't4']);
    const { run, url } = await startMeteredAgent(dir);
    try {
      await expect.poll(() => existsSync(join(dir, 'started')), { timeout: 15_000 }).toBe(true);
      const started = Number(readFileSync(join(dir, 'started'), 'utf8'));

      // Any status taken stallAfterMs + 1 s after the step started to hang reports the partition STALLED.
      await new Promise((r) => setTimeout(r, Math.max(0, started + STALL_AFTER_MS + 1_000 - Date.now())));
      const first = agentctl(['status', '--json'], { cwd: dir }).json<{
        takenAt: number;
        partitions: Row[];
      }>();
      expect(first.takenAt).toBeGreaterThanOrEqual(started + STALL_AFTER_MS + 1_000);
      const row = first.partitions.find((r) => r.stall !== undefined);
      expect(row, JSON.stringify(first.partitions)).toBeDefined();
      expect(row!.stall!.since - started).toBeLessThanOrEqual(1_000);
      expect(row!.stall).toMatchObject({
        reason: 'no-progress',
        position: row!.committed,
        waitingOn: expect.any(String),
        run: { step: 'wait', stepAttempts: 1, id: expect.any(String) },
      });
      const text = agentctl(['status'], { cwd: dir });
      expect(text.stdout).toMatch(/STALLED/);
      expect(text.stdout).toMatch(/step wait attempt 1/);
      const check = agentctl(['status', '--exit-code'], { cwd: dir });
      expect(check.code).toBe(3);
      expect(await scrape(url, 'agentctl_partition_stalled')).toBe(1);
      expect(await scrape(url, 'agentctl_checkpoint_age_seconds')).toBeGreaterThanOrEqual(
        STALL_AFTER_MS / 1000,
      );

      // The step finishes: the checkpoint moves, the stall clears.
      writeFileSync(join(dir, 'release'), '');
      await expect
        .poll(() => statusRows(dir).every((r) => r.stall === undefined && r.lagRecords === 0), {
          timeout: 15_000,
        })
        .toBe(true);
      expect(agentctl(['status', '--exit-code'], { cwd: dir }).code).toBe(0);
      await expect.poll(() => scrape(url, 'agentctl_partition_stalled'), { timeout: 15_000 }).toBe(0);
    } finally {
      writeFileSync(join(dir, 'release'), '');
      run.child.kill('SIGTERM');
      expect((await run.done).code).toBe(0);
    }

    // Lag past --max-lag: 3 records behind.
    publish(dir, ['t5', 't6', 't7']);
    expect(agentctl(['status', '--exit-code', '--max-lag', '2'], { cwd: dir }).code).toBe(3);
    expect(agentctl(['status', '--exit-code', '--max-lag', '3'], { cwd: dir }).code).toBe(0);
    const lagging = agentctl(['status', '--json', '--max-lag', '2'], { cwd: dir }).json<{
      health: { ok: boolean; lagging: { lag: number }[] };
    }>();
    expect(lagging.health).toMatchObject({ ok: false, lagging: [{ lag: 3 }] });
  }, 180_000);

  it('Given consumer.stallAfterMs or stuckStepMs that is not a positive number, When consume starts, Then it exits 2 naming the key and reads nothing', () => {
    for (const [key, value] of [
      ['stallAfterMs', '-5'],
      ['stuckStepMs', "'1m'"],
    ] as const) {
      const dir = tempDir();
      writeConfig(dir, `{ name: 'bad', consumer: { ${key}: ${value} } }`);
      const result = agentctl(['consume', '--until-empty'], { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^error: invalid config .*: consumer\\.${key}: `));
      expect(existsSync(join(dir, '.agentctl'))).toBe(false);
    }
  });
});
