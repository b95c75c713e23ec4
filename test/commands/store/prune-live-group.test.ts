import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PruneReport } from '../../../src/core/ops/store-prune.js';
import { submissionEvents } from '../../core/agent/fixtures.js';
import { agentctl, startAgentctl } from '../../support/cli.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

const available = await postgresAvailable();

const EVENTS = 2_000;
const FAR_FUTURE = '2100-01-01T00:00:00Z';

interface Line {
  readonly type: string;
  readonly read?: number;
  readonly runs?: Record<string, number>;
}

/**
 * Two agents (groups `a` and `b`) on one store; `b` is slow and commits rarely. Their rules have different
 * names so that neither skips the other's runs (run ids do not carry the group yet; being fixed apart).
 */
function givenTwoGroups(): string {
  const dir = tempDir('prune-live-');
  const config = (name: string, consumer: string, step: string) =>
    `import { defineAgent, defineProcess, rule } from 'agentctl';
export default defineAgent({
  name: '${name}',
  publisher: { sink: 'none' },
  consumer: ${consumer},
  rules: [rule({ name: 'record-order-${name}', on: 'submission.created', process: 'record' })],
  processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ${step} }] })],
});
`;
  writeFileSync(join(dir, 'a.config.ts'), config('a', '{}', '({ event }) => event.id'));
  writeFileSync(
    join(dir, 'b.config.ts'),
    config(
      'b',
      '{ pollMax: 10, commitPolicy: { intervalMs: 600000, messages: 100000 } }',
      'async ({ event }) => { await new Promise((r) => setTimeout(r, 2)); return event.id; }',
    ),
  );
  writeFileSync(
    join(dir, 'events.ndjson'),
    submissionEvents(EVENTS)
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  return dir;
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function parse(stdout: string): Line[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

/**
 * Issue 11, bug 4: group `a` consumed everything; group `b` started on the same store and has read part
 * of the log without committing. A prune must not delete what `b` has not processed.
 */
async function pruneWhileAGroupReads(db: string): Promise<void> {
  const dir = givenTwoGroups();
  const cli = (args: string[], config: string) =>
    agentctl([...args, '--config', config, '--db', db], { cwd: dir, timeoutMs: 120_000 });
  const published = cli(['publish', '--file', 'events.ndjson'], 'a.config.ts');
  expect(published.code, published.stderr).toBe(0);
  const a = cli(['consume', '--until-empty', '--json'], 'a.config.ts');
  expect(a.code, a.stderr).toBe(0);
  expect(parse(a.stdout).find((l) => l.type === 'summary')?.read).toBe(EVENTS);

  const b = startAgentctl(['consume', '--until-empty', '--json', '--config', 'b.config.ts', '--db', db], {
    cwd: dir,
  });
  await until(
    () => parse(b.stdout()).some((l) => l.type === 'progress' && (l.read ?? 0) > 0),
    "b's first progress",
  ).catch((error: Error) => {
    throw new Error(`${error.message}; stdout: ${b.stdout()}; stderr: ${b.stderr()}`);
  });
  expect(parse(b.stdout()).some((l) => l.type === 'summary')).toBe(false);

  const dry = cli(
    ['store', 'prune', '--older-than', FAR_FUTURE, '--only', 'log', '--dry-run'],
    'a.config.ts',
  );
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toMatch(/HELD BY/);
  expect(dry.stdout).toMatch(/\bb\b.*no checkpoint/);

  const prune = cli(
    ['store', 'prune', '--older-than', FAR_FUTURE, '--only', 'log', '--yes', '--json'],
    'a.config.ts',
  );
  expect(prune.code, prune.stderr).toBe(0);
  const report = prune.json<PruneReport>();
  expect(report.deleted.log).toBe(0);
  for (const partition of report.log) expect(partition).toMatchObject({ heldBy: 'b', records: 0 });

  const done = await b.done;
  expect(done.code, done.stderr).toBe(0);
  const summary = parse(done.stdout).find((l) => l.type === 'summary');
  expect(summary?.read).toBe(EVENTS);
  expect(summary?.runs?.succeeded).toBe(EVENTS);

  // Once both groups are done, the log goes, but for each partition's last record.
  const after = cli(
    ['store', 'prune', '--older-than', FAR_FUTURE, '--only', 'log', '--yes', '--json'],
    'a.config.ts',
  );
  expect(after.code, after.stderr).toBe(0);
  const afterReport = after.json<PruneReport>();
  expect(afterReport.deleted.log).toBe(EVENTS - afterReport.log.length);
}

describe('agentctl store prune while a group reads', () => {
  it('Given a SQLite store and a group that has read but not committed, When pruned, Then nothing it has not committed goes and it processes every event', async () => {
    const dir = tempDir('prune-live-db-');
    await pruneWhileAGroupReads(join(dir, 'agent.db'));
  }, 120_000);
});

describe.skipIf(!available)(
  serviceSuite('agentctl store prune while a group reads, PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    const schema = `agentctl_prune_${randomBytes(4).toString('hex')}`;
    afterAll(() => dropSchemas([schema]));

    it('Given a PostgreSQL store and a group that has read but not committed, When pruned, Then nothing it has not committed goes and it processes every event', async () => {
      await pruneWhileAGroupReads(`${PG_URL}?schema=${schema}`);
    }, 120_000);
  },
);
