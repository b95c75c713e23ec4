import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

const available = await postgresAvailable();
const schemas: string[] = [];

interface Summary {
  readonly type: 'summary';
  readonly read: number;
  readonly parked: number;
  readonly runs: Record<string, number>;
}

interface FailedItem {
  readonly eventId?: string;
  readonly process?: string;
  readonly error: string;
}

function events(count: number): string {
  return Array.from({ length: count }, (_, n) =>
    JSON.stringify({
      specversion: '1.0',
      id: `evt-${n}`,
      type: 'order.created',
      source: '/shop',
      data: { n },
    }),
  ).join('\n');
}

function summaryOf(stdout: string): Summary | undefined {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string })
    .find((l): l is Summary => l.type === 'summary');
}

function executions(dir: string): string[] {
  const path = join(dir, 'executions.log');
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
}

/**
 * Issue 11, bug 5: a step whose result cannot be serialised (nested 100,000 deep, a BigInt, a cycle) ended
 * `consume` with "Maximum call stack size exceeded" before anything was parked or committed; every restart
 * ran the whole batch again.
 */
async function unstorableOutputs(db: string): Promise<void> {
  const dir = tempDir('consume-output-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      publisher: { sink: 'file:results.ndjson' },
      rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
      processes: [
        defineProcess({
          name: 'ship',
          publish: true,
          steps: [{
            name: 'label',
            run: ({ event }) => {
              appendFileSync(join(process.cwd(), 'executions.log'), event.id + '\\n');
              const n = event.data.n;
              if (n === 3) {
                let deep = { leaf: true };
                for (let i = 0; i < 100000; i++) deep = { deep };
                return deep;
              }
              if (n === 6) return { parcel: event.id, weight: 10n };
              if (n === 9) {
                const loop = { parcel: event.id };
                loop.self = loop;
                return loop;
              }
              return { parcel: event.id };
            },
          }],
        }),
      ],
    }`,
    `import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';`,
  );
  writeFileSync(join(dir, 'events.ndjson'), events(12));
  const cli = (args: string[]) => agentctl([...args, '--db', db], { cwd: dir });
  expect(cli(['publish', '--file', 'events.ndjson']).code).toBe(0);

  const first = cli(['consume', '--until-empty', '--json']);

  expect(first.stderr).not.toContain('Maximum call stack');
  expect(first.code, first.stderr).toBe(0);
  expect(summaryOf(first.stdout)).toMatchObject({
    read: 12,
    parked: 3,
    runs: { succeeded: 9, failed: 3 },
  });
  const failed = cli(['failed', 'list', '--json']);
  expect(failed.code, failed.stderr).toBe(0);
  const items = failed.json<FailedItem[]>().sort((a, b) => (a.eventId! < b.eventId! ? -1 : 1));
  expect(items.map((i) => [i.eventId, i.process])).toEqual([
    ['evt-3', 'ship'],
    ['evt-6', 'ship'],
    ['evt-9', 'ship'],
  ]);
  const why = 'step "label": its result, the output of process "ship", cannot be stored as JSON';
  expect(items[0]!.error).toContain(`${why}: nested deeper than 256 levels`);
  expect(items[1]!.error).toContain(`${why}: a BigInt at .weight`);
  expect(items[2]!.error).toContain(`${why}: a circular reference at .self`);
  expect(readFileSync(join(dir, 'results.ndjson'), 'utf8').trim().split('\n')).toHaveLength(9);

  // Everything was committed: a restart reads nothing and runs nothing again.
  const second = cli(['consume', '--until-empty', '--json']);
  expect(second.code, second.stderr).toBe(0);
  expect(summaryOf(second.stdout)?.read).toBe(0);
  expect(executions(dir)).toHaveLength(12);
}

interface Consumed {
  readonly code: number;
  readonly stderr: string;
  readonly lines: { type: string }[];
  readonly summary: Summary | undefined;
}

/**
 * Issue 11, bug 6: with `maxConsecutive: 10` every event failing, consume parked 200 of 200 (or a whole
 * poll of 500) before stopping; with the pool runner runs executed but unrecorded ran again on restart;
 * `consume --json` ended without its summary line.
 */
function givenAPoisonedLog(
  db: string,
  step: 'sync' | 'async',
  count: number,
): { consume(args: string[]): Consumed; executions(): string[] } {
  const dir = tempDir('consume-poison-');
  const fail =
    step === 'sync'
      ? `throw new FatalError('no warehouse for ' + event.id);`
      : `await new Promise((r) => setTimeout(r, 2)); throw new FatalError('no warehouse for ' + event.id);`;
  writeConfig(
    dir,
    `{
      name: 'orders',
      publisher: { sink: 'none' },
      consumer: { poisonLimit: { maxConsecutive: 10 } },
      rules: [rule({ name: 'ship-order', on: 'order.created', process: 'ship' })],
      processes: [
        defineProcess({
          name: 'ship',
          steps: [{
            name: 'ship',
            run: ${step === 'async' ? 'async ' : ''}({ event }) => {
              appendFileSync(join(process.cwd(), 'executions.log'), event.id + '\\n');
              ${fail}
            },
          }],
        }),
      ],
    }`,
    `import { appendFileSync } from 'node:fs';\nimport { join } from 'node:path';`,
  );
  writeFileSync(join(dir, 'events.ndjson'), events(count));
  expect(agentctl(['publish', '--file', 'events.ndjson', '--db', db], { cwd: dir }).code).toBe(0);
  const consume = (args: string[]): Consumed => {
    const run = agentctl(['consume', '--until-empty', '--json', '--db', db, ...args], { cwd: dir });
    const lines = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string });
    return { code: run.code, stderr: run.stderr, lines, summary: summaryOf(run.stdout) };
  };
  return { consume, executions: () => executions(dir) };
}

function expectAPoisonStorm(consumed: Consumed): void {
  expect(consumed.code, consumed.stderr).toBe(1);
  expect(consumed.stderr).toMatch(/poison storm: 10 (messages|runs) failed in a row/);
  expect(consumed.lines.at(-1)).toMatchObject({ type: 'summary', stoppedBy: 'poison-storm' });
}

describe('agentctl consume', () => {
  it('Given steps returning results JSON cannot hold, When consumed, Then those runs fail naming step, process and why, are parked, and the rest is committed (SQLite)', async () => {
    await unstorableOutputs(join(tempDir('consume-db-'), 'agent.db'));
  }, 60_000);
});

describe.skipIf(!available)(
  serviceSuite('agentctl consume, PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));

    it('Given steps returning results JSON cannot hold, When consumed, Then those runs fail naming step, process and why, are parked, and the rest is committed (PostgreSQL)', async () => {
      const schema = `agentctl_consume_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      await unstorableOutputs(`${PG_URL}?schema=${schema}`);
    }, 60_000);
  },
);

describe('agentctl consume, poison storm', () => {
  it('Given every event failing at once (sync) and maxConsecutive 10, When consumed inline, Then it parks 10, not the poll, and ends with its summary', async () => {
    const { consume, executions } = givenAPoisonedLog(
      join(tempDir('consume-db-'), 'agent.db'),
      'sync',
      1_000,
    );

    const first = consume([]);

    expectAPoisonStorm(first);
    expect(first.summary).toMatchObject({ parked: 10, runs: { failed: 10 } });
    expect(executions()).toHaveLength(10);
  }, 60_000);

  it('Given every event failing after a wait and maxConsecutive 10, When consumed inline, Then it parks 10 and a restart goes on after them', async () => {
    const { consume, executions } = givenAPoisonedLog(join(tempDir('consume-db-'), 'agent.db'), 'async', 200);

    const first = consume([]);
    expectAPoisonStorm(first);
    expect(first.summary).toMatchObject({ parked: 10, runs: { failed: 10 } });

    const second = consume([]);
    expectAPoisonStorm(second);
    expect(second.summary?.parked).toBe(10);
    const ran = executions();
    expect(ran).toHaveLength(20);
    expect(new Set(ran).size).toBe(20);
  }, 60_000);
});

function poolStorm(db: () => string): void {
  it('Given every event failing and maxConsecutive 10, When consumed by a pool of 8, Then it stops within the limit plus what was in flight, records every run that ran, and a restart runs none again', async () => {
    const { consume, executions } = givenAPoisonedLog(db(), 'async', 200);

    const first = consume(['--runner', 'pool', '--concurrency', '8']);
    expectAPoisonStorm(first);
    const parked = first.summary!.parked;
    expect(parked).toBeGreaterThanOrEqual(10);
    expect(parked).toBeLessThanOrEqual(10 + 7);
    // Every run that executed was recorded and its event parked: none is left to run again.
    expect(first.summary?.runs.failed).toBe(parked);
    expect(executions()).toHaveLength(parked);

    const second = consume(['--runner', 'pool', '--concurrency', '8']);
    expectAPoisonStorm(second);
    const ran = executions();
    expect(ran).toHaveLength(parked + second.summary!.parked);
    expect(new Set(ran).size).toBe(ran.length);
  }, 60_000);
}

describe('agentctl consume, poison storm on a pool (SQLite)', () => {
  poolStorm(() => join(tempDir('consume-db-'), 'agent.db'));
});

describe.skipIf(!available)(
  serviceSuite('agentctl consume, poison storm on a pool (PostgreSQL)', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));
    poolStorm(() => {
      const schema = `agentctl_poison_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      return `${PG_URL}?schema=${schema}`;
    });
  },
);
