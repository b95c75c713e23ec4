import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentctl, writeConfig } from '../support/cli.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';

const pgAvailable = await postgresAvailable();
const schemas: string[] = [];

interface RunJson {
  id: string;
  group: string;
  eventId: string;
  rule: string;
  process: string;
  state: string;
  fatal?: boolean;
  attempts: number;
  error?: string;
  updatedAt: number;
  steps: { name: string; state: string; history: { attempt: number; error?: string; fatal?: boolean }[] }[];
}

interface DetailJson {
  run: RunJson;
  ledger: boolean;
  event: { stored: string; payload?: string; why?: string };
  efforts: {
    sink: string;
    culmination: string;
    attempts: number;
    history: { ok: boolean; error?: string }[];
  }[];
  parked: { id: number; reason: string; runId?: string; eventId?: string }[];
}

/**
 * Orders on the local log, two rules per event: `ship-order` runs `ship` (steps reserve, charge; retried
 * twice) and publishes its result to a sink that refuses every record once, then takes it; `audit` runs
 * `audit` (one step). `data.mode` picks what happens in `ship`: `ok`; `flaky` (reserve fails its first
 * try); `broken` (charge always fails: retries run out, the event is parked); `fatal` (charge throws a
 * FatalError: no retry, parked).
 */
const PREAMBLE = `import { registerSinkOpener } from 'agentctl';
const seen = new Set();
registerSinkOpener('flaky', async () => ({
  name: 'flaky',
  maxBatch: 100,
  async send(records) {
    const failures = new Map();
    records.forEach((r, i) => {
      if (!seen.has(r.id)) failures.set(i, new Error('sink hiccup ' + r.id));
      seen.add(r.id);
    });
    return { failures };
  },
  async close() {},
}));`;
const CONFIG = `{
  name: 'orders',
  consumer: { localPartitions: 1 },
  publisher: { sink: 'flaky:', contingency: { maxRetries: 2, baseMs: 5, maxMs: 10, jitter: 0 } },
  rules: [
    rule({ name: 'ship-order', on: 'order.created', process: 'ship' }),
    rule({ name: 'audit-order', on: 'order.created', process: 'audit' }),
  ],
  processes: [
    defineProcess({
      name: 'ship',
      publish: true,
      retry: { maxRetries: 2, baseMs: 5, maxMs: 10, jitter: 0 },
      steps: [
        {
          name: 'reserve',
          run: ({ event, attempt }) => {
            if (event.data.mode === 'flaky' && attempt === 1) throw new Error('stock service timeout');
            return { reserved: event.id };
          },
        },
        {
          name: 'charge',
          run: ({ event }) => {
            if (event.data.mode === 'broken') throw new Error('card service unavailable');
            if (event.data.mode === 'fatal') throw new FatalError('card reported stolen');
            return { charged: event.id };
          },
        },
      ],
    }),
    defineProcess({ name: 'audit', steps: [{ name: 'log', run: () => ({ audited: true }) }] }),
  ],
}`;

function orders(modes: readonly (readonly [number, string])[]): string {
  return modes
    .map(([n, mode]) =>
      JSON.stringify({
        specversion: '1.0',
        id: `evt-${n}`,
        type: 'order.created',
        source: '/shop',
        data: { n, mode },
      }),
    )
    .join('\n');
}

/**
 * A project that consumed evt-1..4 (ok, flaky, broken, fatal), then — after `since` — evt-5 (ok). Made once
 * per suite (the tests only look), in a temp dir the suite removes.
 */
async function givenConsumed(db: readonly string[]): Promise<{ dir: string; since: number }> {
  const base = join(tmpdir(), 'agentctl-tests');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'agentctl-runs-'));
  writeConfig(dir, CONFIG, PREAMBLE);
  const consume = (events: string) => {
    writeFileSync(join(dir, 'events.ndjson'), events);
    const published = agentctl(['publish', '--file', 'events.ndjson', ...db], { cwd: dir });
    expect(published.code, published.stderr).toBe(0);
    const consumed = agentctl(['consume', '--until-empty', ...db], { cwd: dir });
    expect(consumed.code, consumed.stderr).toBe(0);
  };
  consume(
    orders([
      [1, 'ok'],
      [2, 'flaky'],
      [3, 'broken'],
      [4, 'fatal'],
    ]),
  );
  await sleep(20);
  const since = Date.now();
  await sleep(20);
  consume(orders([[5, 'ok']]));
  return { dir, since };
}

function runsSuite(name: string, dbArgs: () => readonly string[]) {
  let dir: string;
  let since: number;
  let db: readonly string[];
  const run = (args: readonly string[]) => agentctl([...args, ...db], { cwd: dir });
  const list = (...args: string[]): RunJson[] => {
    const result = run(['runs', 'list', '--json', ...args]);
    expect(result.code, result.stderr).toBe(0);
    return result.json<RunJson[]>();
  };
  const names = (runs: readonly RunJson[]) => runs.map((r) => `${r.eventId}/${r.process}`).sort();
  const idOf = (eventId: string, process = 'ship') =>
    list().find((r) => r.eventId === eventId && r.process === process)!.id;
  const show = (id: string): DetailJson => {
    const result = run(['runs', 'show', id, '--json']);
    expect(result.code, result.stderr).toBe(0);
    return result.json<DetailJson>();
  };

  describe(name, () => {
    beforeAll(async () => {
      db = dbArgs();
      ({ dir, since } = await givenConsumed(db));
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('list gives every run of the consume, newest first, with its state', () => {
      const runs = list();
      expect(names(runs)).toEqual([1, 2, 3, 4, 5].flatMap((n) => [`evt-${n}/audit`, `evt-${n}/ship`]).sort());
      const updated = runs.map((r) => r.updatedAt);
      expect(updated).toEqual([...updated].sort((a, b) => b - a));
      const ship = (n: number) => runs.find((r) => r.eventId === `evt-${n}` && r.process === 'ship')!;
      expect([1, 2, 3, 4, 5].map((n) => ship(n).state)).toEqual([
        'succeeded',
        'succeeded',
        'failed',
        'failed',
        'succeeded',
      ]);
      expect(ship(4).fatal).toBe(true);
      expect(ship(3).attempts).toBe(4); // reserve once, charge three times
      const table = run(['runs', 'list']);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toMatch(
        /^RUN\s+STATE\s+RULE\/PROCESS\s+STEP\s+ATTEMPTS\s+EVENT\s+UPDATED\s+ERROR/,
      );
      for (const r of runs) expect(table.stdout).toContain(r.id); // whole ids, to copy
      expect(table.stdout).toMatch(
        /failed \(fatal\)\s+ship-order\/ship\s+charge\s+2\s+order\.created\/evt-4/,
      );
    });

    it('each filter narrows to exactly its runs', () => {
      expect(names(list('--state', 'failed'))).toEqual(['evt-3/ship', 'evt-4/ship']);
      expect(names(list('--process', 'audit'))).toHaveLength(5);
      expect(list('--process', 'audit').every((r) => r.process === 'audit')).toBe(true);
      expect(names(list('--rule', 'ship-order'))).toEqual([1, 2, 3, 4, 5].map((n) => `evt-${n}/ship`));
      expect(list('--group', 'orders')).toHaveLength(10);
      expect(list('--group', 'someone-else')).toEqual([]);
      expect(list('--state', 'succeeded', '--process', 'ship', '--limit', '2')).toHaveLength(2);
      expect(names(list('--since', new Date(since).toISOString()))).toEqual(['evt-5/audit', 'evt-5/ship']);
      expect(list('--since', '1h')).toHaveLength(10);
    });

    it('--where filters on the run’s fields and on its event (read from the local log)', () => {
      expect(names(list('--where', 'state == "failed" && fatal'))).toEqual(['evt-4/ship']);
      expect(names(list('--where', 'step == "charge" && attempts > 3'))).toEqual(['evt-3/ship']);
      expect(names(list('--where', 'event.data.mode == "flaky"'))).toEqual(['evt-2/audit', 'evt-2/ship']);
      expect(names(list('--where', 'meta.position == "4" && process == "ship"'))).toEqual(['evt-5/ship']);
      expect(list('--where', 'true')).toEqual(list());
      expect(list('--where', 'true', '--state', 'failed')).toEqual(list('--state', 'failed'));
      const bad = run(['runs', 'list', '--where', 'state == ']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--where is not a valid CEL filter at column \d+/);
      expect(bad.stderr).toContain('try: variables of a run:');
    });

    it('show gives a retried run every step attempt, its event and its publish effort with both attempts', () => {
      const detail = show(idOf('evt-2'));
      expect(detail.run.state).toBe('succeeded');
      const [reserve, charge] = detail.run.steps;
      expect(reserve!.history.map((a) => a.error ?? 'ok')).toEqual(['stock service timeout', 'ok']);
      expect(charge!.history.map((a) => a.error ?? 'ok')).toEqual(['ok']);
      expect(detail.event.stored).toBe('log');
      expect(JSON.parse(detail.event.payload!)).toMatchObject({ id: 'evt-2', data: { mode: 'flaky' } });
      expect(detail.efforts).toHaveLength(1);
      expect(detail.efforts[0]).toMatchObject({ sink: 'flaky', culmination: 'delivered', attempts: 2 });
      expect(detail.efforts[0]!.history.map((a) => a.ok)).toEqual([false, true]);
      expect(detail.parked).toEqual([]);

      const text = run(['runs', 'show', detail.run.id]);
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(new RegExp(`^run:\\s+${detail.run.id}$`, 'm'));
      expect(text.stdout).toMatch(
        / {2}reserve {2}succeeded {2}2 attempts\n {4}#1 .* failed: stock service timeout\n {4}#2 .* ok/,
      );
      expect(text.stdout).toMatch(
        /publish efforts \(1\):\n {2}\S+ → flaky {2}delivered {2}2 attempts \(1 retry\)/,
      );
      expect(text.stdout).toMatch(/#1 .* failed: sink hiccup/);
      expect(text.stdout).toMatch(/event \(from the local log, \d+ bytes\):\n\{\n {2}"specversion"/);
    });

    it('show gives a failed run its attempts, the parked item and the event from it; fatal says so', () => {
      const broken = show(idOf('evt-3'));
      expect(broken.run.steps[1]!.history.map((a) => a.error)).toEqual(
        Array(3).fill('card service unavailable'),
      );
      expect(broken.parked.map((p) => [p.reason, p.runId, p.eventId])).toEqual([
        ['process', broken.run.id, 'evt-3'],
      ]);
      expect(broken.event.stored).toBe('parked');
      expect(broken.efforts).toEqual([]);
      const fatal = show(idOf('evt-4'));
      expect(fatal.run.fatal).toBe(true);
      expect(fatal.run.steps[1]!.history).toEqual([
        expect.objectContaining({ error: 'card reported stolen', fatal: true }),
      ]);
      const text = run(['runs', 'show', fatal.run.id]);
      expect(text.stdout).toMatch(/state:\s+failed \(fatal: not retried\)/);
      expect(text.stdout).toMatch(/#1 .* failed \(fatal\): card reported stolen/);
      expect(text.stdout).toMatch(/parked \(1\):\n {2}\d+ {2}pending {2}process/);
    });

    it('show takes a unique prefix of an id; an unknown id is exit 2 with a hint', () => {
      const id = idOf('evt-1');
      expect(show(id.slice(0, 12)).run.id).toBe(id);
      expect(show(id).run.steps.map((s) => s.name)).toEqual(['reserve', 'charge']);
      const missing = run(['runs', 'show', 'no-such-run']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(
        /^error: no run id starts with no-such-run\n {2}try: agentctl runs list/,
      );
      const whole = run(['runs', 'show', 'x'.repeat(27)]);
      expect(whole.code).toBe(2);
      expect(whole.stderr).toContain(`run ${'x'.repeat(27)} not found`);
    });
  });
}

runsSuite('agentctl runs, SQLite', () => []);

describe.skipIf(!pgAvailable)(
  serviceSuite('agentctl runs, PostgreSQL', pgAvailable, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));
    runsSuite('on a PostgreSQL store (--db postgres://…)', () => {
      const schema = `agentctl_runs_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      return ['--db', `${PG_URL}?schema=${schema}`];
    });
  },
);
