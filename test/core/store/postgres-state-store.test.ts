import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { isStoreUnavailableError } from '../../../src/core/errors/store-unavailable-error.js';
import { isUsageError } from '../../../src/core/errors/usage-error.js';
import { openStore } from '../../../src/core/store/open-store.js';
import { PG_MIGRATIONS, PG_SCHEMA_VERSION } from '../../../src/core/store/postgres/pg-migrations.js';
import {
  openPostgresStore,
  type PostgresStateStore,
  type PostgresStoreOptions,
} from '../../../src/core/store/postgres/postgres-state-store.js';
import { dropSchemas, PG_URL, pgClient, postgresAvailable, serviceSuite } from '../../support/services.js';
import { runTogether } from './fixtures/run-together.js';
import { anEffort, aParked, aPlainSuccess, aRun, stateStoreContract, T0 } from './state-store-contract.js';

const CHILD = fileURLToPath(new URL('./fixtures/pg-store-child.ts', import.meta.url));
const EMPTY = { runs: [], ledger: [], efforts: [], parked: [] } as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const available = await postgresAvailable();

/** Every store of this file lives in a schema of its own under this prefix; all are dropped at the end. */
const PREFIX = `agentctl_test_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

function freshSchema(): string {
  const schema = `${PREFIX}_${schemas.length}`;
  schemas.push(schema);
  return schema;
}

/** Opens a store in a fresh schema and closes it when the test ends. */
async function openFresh(options: Partial<PostgresStoreOptions> = {}): Promise<PostgresStateStore> {
  const store = await openPostgresStore({ url: PG_URL, schema: freshSchema(), ...options });
  onTestFinished(() => store.close());
  return store;
}

describe.skipIf(!available)(serviceSuite('PostgresStateStore', available, 'PostgreSQL', 'PG_URL'), () => {
  afterAll(() => dropSchemas(schemas));

  stateStoreContract('PostgresStateStore', () => openPostgresStore({ url: PG_URL, schema: freshSchema() }));

  describe('opening and migrations', () => {
    const VERSIONS = PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })).sort(
      (a, b) => a.version - b.version,
    );

    it('Given a fresh schema, When opened, Then it is created at the latest version, And opening again migrates nothing', async () => {
      const store = await openFresh();
      const schema = schemas.at(-1)!;
      const db = await pgClient();
      const versions = async () =>
        (await db.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`)).rows;
      expect(await versions()).toEqual(VERSIONS);
      expect(PG_SCHEMA_VERSION).toBe(Math.max(...PG_MIGRATIONS.map((m) => m.version)));
      const run = aRun();
      await store.flush({ ...EMPTY, runs: [run] });

      const again = await openPostgresStore({ url: PG_URL, schema });
      onTestFinished(() => again.close());

      expect(await again.runs.get(run.id)).toEqual(run);
      expect(await versions()).toEqual(VERSIONS);
    });

    it('Given four processes and four pools opening one fresh schema at once, Then all succeed and each migration applies once', async () => {
      const schema = freshSchema();

      const [results, stores] = await Promise.all([
        runTogether(
          CHILD,
          Array.from({ length: 4 }, () => ['open', PG_URL, schema]),
        ),
        Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url: PG_URL, schema }))),
      ]);
      for (const store of stores) onTestFinished(() => store.close());

      expect(results).toEqual(Array.from({ length: 4 }, () => ({ opened: true })));
      const db = await pgClient();
      expect(
        (await db.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).rows,
      ).toEqual(PG_MIGRATIONS.map(({ version }) => ({ version })));
    });

    it('Given a schema written by a newer agentctl, When opened, Then a usage error asks for an upgrade', async () => {
      await openFresh();
      const schema = schemas.at(-1)!;
      const db = await pgClient();
      await db.query(`INSERT INTO "${schema}".schema_migrations VALUES (99, 'future', 0)`);

      const error = await openPostgresStore({ url: PG_URL, schema }).catch((e: unknown) => e);

      expect(isUsageError(error)).toBe(true);
      expect((error as Error).message).toMatch(/schema version 99/);
    });

    it('Given no store in a schema, When opened read-only, Then a usage error says so and nothing is created', async () => {
      const schema = freshSchema();
      const error = await openPostgresStore({ url: PG_URL, schema, readonly: true }).catch((e: unknown) => e);
      expect(isUsageError(error)).toBe(true);
      expect((error as Error).message).toMatch(/no schema/);
      const db = await pgClient();
      expect((await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(0);
    });

    it('Given a store, When opened read-only, Then reads work and writes are usage errors', async () => {
      const store = await openFresh();
      const run = aRun();
      await store.flush({ ...EMPTY, runs: [run] });

      const reader = await openPostgresStore({ url: PG_URL, schema: schemas.at(-1)!, readonly: true });
      onTestFinished(() => reader.close());

      expect(await reader.runs.get(run.id)).toEqual(run);
      await expect(reader.flush({ ...EMPTY, runs: [aRun()] })).rejects.toSatisfy(isUsageError);
    });

    it('Given a server that does not answer, When opened, Then a store-unavailable error (exit 1) names the store without its password', async () => {
      const error = await openPostgresStore({ url: 'postgres://agent:s3cret@127.0.0.1:1/agents' }).catch(
        (e: unknown) => e,
      );
      expect(isStoreUnavailableError(error)).toBe(true);
      expect((error as Error).message).toContain('postgres://***@127.0.0.1:1/agents');
      expect((error as Error).message).not.toContain('s3cret');
      expect((error as { hint?: string }).hint).toMatch(/--db/);
    });

    it('Given a URI with a schema parameter, When opened through openStore, Then that schema is used and shown', async () => {
      const schema = freshSchema();
      const store = await openStore(`${PG_URL}?schema=${schema}`);
      onTestFinished(() => store.close());

      expect(store.kind).toBe('postgres');
      expect(store.location).toContain(`schema=${schema}`);
      const db = await pgClient();
      expect((await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount).toBe(1);
    });

    it('Given an unusable schema name, When opened, Then it is a usage error', async () => {
      await expect(openPostgresStore({ url: PG_URL, schema: 'bad"; DROP' })).rejects.toSatisfy(isUsageError);
    });
  });

  describe('leases across pools and processes', () => {
    it('Given two pools racing eight owners for one partition, Then exactly one owns it', async () => {
      const a = await openFresh();
      const b = await openPostgresStore({ url: PG_URL, schema: schemas.at(-1)! });
      onTestFinished(() => b.close());
      const request = (owner: string) => ({ group: 'g', source: 's', partition: '0', owner, ttlMs: 30_000 });

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).leases.acquire(request(`agent-${i}`))),
      );

      const winners = results.filter((r) => r !== undefined);
      expect(winners).toHaveLength(1);
      expect(await a.leases.list('g', 's')).toEqual([winners[0]]);
    });

    it('Given four processes acquiring one lease at once, Then exactly one owns it with counter 1', async () => {
      const store = await openFresh();
      const schema = schemas.at(-1)!;

      const results = await runTogether(
        CHILD,
        ['w', 'x', 'y', 'z'].map((owner) => ['acquire', PG_URL, schema, owner]),
      );

      const winners = results.filter((r) => r.lease !== null);
      expect(winners).toHaveLength(1);
      const [lease] = await store.leases.list('g', 's');
      expect(lease).toMatchObject({ owner: (winners[0]!.lease as { owner: string }).owner, counter: 1 });
    });

    it('Given three processes appending to one partition at once, Then offsets are unique and contiguous', async () => {
      const store = await openFresh();
      await store.log.ensureTopic('events', 2);

      const results = await runTogether(
        CHILD,
        ['a', 'b', 'c'].map((tag) => ['append', PG_URL, schemas.at(-1)!, 'events', '20', '50', tag]),
      );

      const offsets = results.flatMap((r) => r.offsets as number[]);
      expect([...offsets].sort((x, y) => x - y)).toEqual(Array.from({ length: 3_000 }, (_, i) => i));
      for (const result of results) {
        const own = result.offsets as number[];
        expect(own).toEqual([...own].sort((x, y) => x - y));
      }
      expect(await store.log.bounds('events', 0)).toEqual({ earliest: 0, latest: 2_999 });
      const records = await store.log.read('events', 0, -1, 5_000);
      expect(new Set(records.map((r) => new TextDecoder().decode(r.value))).size).toBe(3_000);
    });
  });

  describe('fences against a takeover in flight', () => {
    it('Given a takeover not yet committed, When the old owner flushes a fenced checkpoint, Then the flush waits for it and is refused', async () => {
      const store = await openFresh();
      const held = await store.leases.acquire({
        group: 'g',
        source: 's',
        partition: '0',
        owner: 'a',
        ttlMs: 30_000,
      });
      const takeover = await pgClient();
      await takeover.query('BEGIN');
      await takeover.query(
        `UPDATE "${schemas.at(-1)!}".leases SET owner = 'b', counter = counter + 1 WHERE partition = '0'`,
      );
      const write = {
        group: 'g',
        source: 's',
        partition: '0',
        position: '5',
        fence: { owner: 'a', counter: held!.counter },
      };

      let settled = false;
      const flushing = store.flush(EMPTY, [write]).finally(() => {
        settled = true;
      });
      await sleep(200);
      expect(settled).toBe(false);
      await takeover.query('COMMIT');

      expect((await flushing).rejected).toEqual([write]);
      expect((await store.checkpoints.get('g', 's')).size).toBe(0);
    });
  });

  describe('the database clock', () => {
    it('Given clients whose clocks are a day off, Then lease expiry, fences and store times follow the database', async () => {
      const day = 86_400_000;
      const behind = await openFresh({ clock: new FakeClock(Date.now() - day) });
      const ahead = await openPostgresStore({
        url: PG_URL,
        schema: schemas.at(-1)!,
        clock: new FakeClock(Date.now() + day),
      });
      onTestFinished(() => ahead.close());
      const request = { group: 'g', source: 's', partition: '0', ttlMs: 150 };

      const held = await behind.leases.acquire({ ...request, owner: 'behind' });
      expect(Math.abs(held!.acquiredAt - Date.now())).toBeLessThan(60_000);
      expect(await ahead.leases.acquire({ ...request, owner: 'ahead' })).toBeUndefined();
      const fence = { owner: 'behind', counter: held!.counter };
      const write = { group: 'g', source: 's', partition: '0', position: '1', fence };
      expect((await behind.flush(EMPTY, [write])).rejected).toEqual([]);

      await sleep(400);

      const late = { ...write, position: '2' };
      expect((await behind.flush(EMPTY, [late])).rejected).toEqual([late]);
      const taken = await ahead.leases.acquire({ ...request, owner: 'ahead', ttlMs: 30_000 });
      expect(taken).toMatchObject({ owner: 'ahead', counter: held!.counter + 1 });
      expect(await behind.leases.renew(held!, 30_000)).toBeUndefined();
      expect((await behind.checkpoints.get('g', 's')).get('0')).toMatchObject({ position: '1' });
      const beat = await ahead.agents.heartbeat({
        id: 'a-1',
        name: 'n',
        group: 'g',
        host: 'h',
        pid: 1,
        source: 's',
        state: 'ACTIVE',
        startedAt: T0,
        version: '0',
      });
      expect(Math.abs(beat.heartbeatAt - Date.now())).toBeLessThan(60_000);
    });
  });

  describe('local log', () => {
    it('Given partitions with records, When read many at once, Then each read gives what `read` gives, in one statement', async () => {
      const store = await openFresh();
      await store.log.ensureTopic('orders', 3);
      const encoder = new TextEncoder();
      for (const partition of [0, 1])
        await store.log.append(
          'orders',
          Array.from({ length: 5 }, (_, i) => ({ value: encoder.encode(`${partition}-${i}`), partition })),
        );
      const reads = [
        { partition: 1, afterOffset: 1, max: 2 },
        { partition: 0, afterOffset: -1, max: 10 },
        { partition: 2, afterOffset: -1, max: 10 },
        { partition: 0, afterOffset: 3, max: 0 },
        { partition: 7, afterOffset: -1, max: 10 },
      ];
      const pool = (store as unknown as { connection: { pool: pg.Pool } }).connection.pool;
      const query = pool.query.bind(pool);
      let statements = 0;
      pool.query = ((...args: Parameters<typeof query>) => {
        statements++;
        return query(...args);
      }) as typeof pool.query;
      const many = await store.log.readMany('orders', reads);
      expect(statements).toBe(1);
      pool.query = query;
      const one = await Promise.all(
        reads.map((r) => store.log.read('orders', r.partition, r.afterOffset, r.max)),
      );
      expect(many).toEqual(one);
      expect(many[0]!.map((r) => r.offset)).toEqual([2, 3]);
      expect(many[1]).toHaveLength(5);
    });
  });

  describe('flush', () => {
    it('Given a large batch of every kind, When flushed, Then it takes one round trip to the database', async () => {
      const store = await openFresh();
      const pool = (store as unknown as { connection: { pool: pg.Pool } }).connection.pool;
      const query = pool.query.bind(pool);
      let statements = 0;
      pool.query = ((...args: Parameters<typeof query>) => {
        statements++;
        return query(...args);
      }) as typeof pool.query;
      const held = await store.leases.acquire({
        group: 'g',
        source: 's',
        partition: '0',
        owner: 'a',
        ttlMs: 30_000,
      });
      statements = 0;

      await store.flush(
        {
          runs: Array.from({ length: 2_000 }, () => aRun()),
          ledger: Array.from({ length: 2_000 }, () => aPlainSuccess()),
          efforts: Array.from({ length: 500 }, () => anEffort()),
          parked: Array.from({ length: 500 }, () => aParked()),
        },
        [
          {
            group: 'g',
            source: 's',
            partition: '0',
            position: '9',
            fence: { owner: 'a', counter: held!.counter },
          },
        ],
      );

      expect(statements).toBe(1);
      expect(await store.failed.count()).toBe(500);
    });

    it('Given 10,000 runs, When flushed, Then they are written in one statement (time reported)', async () => {
      const store = await openFresh();
      const runs = Array.from({ length: 10_000 }, () => aRun());
      const plain = Array.from({ length: 10_000 }, () => aPlainSuccess());
      await store.flush({ ...EMPTY, runs: [aRun()] });

      const started = performance.now();
      await store.flush({ ...EMPTY, runs });
      const fullMs = performance.now() - started;
      const ledgerStarted = performance.now();
      await store.flush({ ...EMPTY, ledger: plain });
      const ledgerMs = performance.now() - ledgerStarted;

      console.log(
        `PostgreSQL flush: 10,000 full runs in ${fullMs.toFixed(0)} ms, 10,000 ledger runs in ${ledgerMs.toFixed(0)} ms`,
      );
      expect((await store.runs.lookup([...runs, ...plain].map((r) => r.id))).size).toBe(20_000);
      expect(fullMs).toBeLessThan(10_000);
    });
  });

  describe('values PostgreSQL cannot hold as given', () => {
    it('Given NUL characters and fractional times, When flushed, Then the flush succeeds (NUL in text → U+FFFD, JSON output kept, times rounded)', async () => {
      const store = await openFresh();
      const run = aRun({ error: 'bad\u0000byte', updatedAt: T0 + 10.6, output: { note: 'a\u0000b' } });
      const parked = aParked({ error: 'Unexpected token \u0000 in JSON', failedAt: T0 + 0.4 });

      await store.flush({ ...EMPTY, runs: [run], parked: [parked] });
      await store.agents.heartbeat({
        id: 'nul\u0000agent',
        name: 'n',
        group: 'g',
        host: 'h',
        pid: 1,
        source: 's',
        state: 'ACTIVE',
        startedAt: T0 + 0.5,
        version: '0',
      });

      expect(await store.runs.get(run.id)).toMatchObject({
        error: 'bad\ufffdbyte',
        updatedAt: T0 + 11,
        output: { note: 'a\u0000b' },
      });
      const [item] = await store.failed.list();
      expect(item).toMatchObject({ error: 'Unexpected token \ufffd in JSON', firstFailedAt: T0 });
      expect(await store.agents.get('nul\ufffdagent')).toMatchObject({ startedAt: T0 + 1 });
    });
  });

  describe('failed store search', () => {
    it('Given a payload that is not UTF-8, When searched, Then the search still answers from its other fields', async () => {
      const store = await openFresh();
      await store.flush({
        ...EMPTY,
        parked: [
          aParked({ raw: new Uint8Array([0, 255, 1, 128]), error: 'Binary Trouble' }),
          aParked({ raw: new TextEncoder().encode('50% off_sale \\ now') }),
        ],
      });

      expect(await store.failed.count({ search: 'binary trouble' })).toBe(1);
      expect(await store.failed.count({ search: '50% off_' })).toBe(1);
      expect(await store.failed.count({ search: '% off' })).toBe(1);
      expect(await store.failed.count({ search: '5_%' })).toBe(0);
      expect(await store.failed.count({ search: '\\ now' })).toBe(1);
    });
  });
});
