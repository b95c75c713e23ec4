import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { pruneStore } from '../../../src/core/ops/store-prune.js';
import { openPostgresStore } from '../../../src/core/store/postgres/postgres-state-store.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

const available = await postgresAvailable();
const PREFIX = `agentctl_prune_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];
const SOURCE = 'local:events';
const FAR_FUTURE = Date.parse('2100-01-01T00:00:00Z');

async function sqliteStore(): Promise<StateStore> {
  const store = await openSqliteStore({ path: join(tempDir('prune-'), 'agent.db') });
  onTestFinished(() => store.close());
  return store;
}

async function postgresStore(): Promise<StateStore> {
  const schema = `${PREFIX}_${schemas.length}`;
  schemas.push(schema);
  const store = await openPostgresStore({ url: PG_URL, schema });
  onTestFinished(() => store.close());
  return store;
}

/** Topic `events` of 2 partitions, 10 records each (offsets 0–9), and group `a` done through 9 on both. */
async function givenAConsumedTopic(store: StateStore): Promise<void> {
  await store.log.ensureTopic('events', 2);
  const value = new TextEncoder().encode('{}');
  for (const partition of [0, 1]) {
    await store.log.append(
      'events',
      Array.from({ length: 10 }, () => ({ partition, value })),
    );
  }
  await store.checkpoints.set(
    ['0', '1'].map((partition) => ({ group: 'a', source: SOURCE, partition, position: '9' })),
  );
}

function pruneBehaviour(open: () => Promise<StateStore>): void {
  it('Given only group a, When the log is pruned, Then all but the last record of each partition goes, held by a', async () => {
    const store = await open();
    await givenAConsumedTopic(store);

    const report = await pruneStore(store, { before: FAR_FUTURE, kinds: ['log'] });

    expect(report.log).toEqual([
      { topic: 'events', partition: 0, through: 9, heldBy: 'a', records: 9 },
      { topic: 'events', partition: 1, through: 9, heldBy: 'a', records: 9 },
    ]);
  });

  it('Given a group with a lease on one partition and no checkpoint, When pruned, Then it holds every partition at its start', async () => {
    const store = await open();
    await givenAConsumedTopic(store);
    await store.leases.acquire({ group: 'b', source: SOURCE, partition: '0', owner: 'b-1', ttlMs: 60_000 });

    const report = await pruneStore(store, { before: FAR_FUTURE, kinds: ['log'] });

    expect(report.deleted).toEqual({ log: 0 });
    expect(report.log.map((p) => [p.heldBy, p.through])).toEqual([
      ['b', undefined],
      ['b', undefined],
    ]);
    expect(await store.log.bounds('events', 0)).toEqual({ earliest: 0, latest: 9 });
  });

  it('Given a group known only by its agent row, When pruned, Then it holds the topic at its start; an agent of another source does not', async () => {
    const store = await open();
    await givenAConsumedTopic(store);
    const agent = (group: string, source: string) =>
      store.agents.heartbeat({
        id: `${group}@host#1`,
        name: group,
        group,
        host: 'host',
        pid: 1,
        source,
        state: 'ACTIVE',
        startedAt: 0,
        version: '0.0.0',
      });
    await agent('elsewhere', 'local:other');

    const dry = await pruneStore(store, { before: FAR_FUTURE, kinds: ['log'], dryRun: true });
    expect(dry.deleted).toEqual({ log: 18 });

    await agent('c', SOURCE);
    const report = await pruneStore(store, { before: FAR_FUTURE, kinds: ['log'] });
    expect(report.deleted).toEqual({ log: 0 });
    expect(report.log.map((p) => p.heldBy)).toEqual(['c', 'c']);
  });

  it('Given a group behind on one partition, When pruned, Then each partition goes through its lowest checkpoint and names its holder', async () => {
    const store = await open();
    await givenAConsumedTopic(store);
    await store.checkpoints.set([
      { group: 'slow', source: SOURCE, partition: '0', position: '3' },
      { group: 'slow', source: SOURCE, partition: '1', position: '9' },
      { group: 'other-topic', source: 'local:other', partition: '1', position: '0' },
    ]);

    const report = await pruneStore(store, { before: FAR_FUTURE, kinds: ['log'] });

    expect(report.log).toEqual([
      { topic: 'events', partition: 0, through: 3, heldBy: 'slow', records: 4 },
      { topic: 'events', partition: 1, through: 9, heldBy: 'a', records: 9 },
    ]);
  });

  it('Given no group reading the topic, When pruned, Then it is kept whole and held by no one', async () => {
    const store = await open();
    await givenAConsumedTopic(store);
    await store.checkpoints.delete('a', SOURCE);

    const report = await pruneStore(store, { before: FAR_FUTURE, kinds: ['log'] });

    expect(report.log).toEqual([
      { topic: 'events', partition: 0, records: 0 },
      { topic: 'events', partition: 1, records: 0 },
    ]);
  });
}

describe('pruneStore (log), SQLite', () => pruneBehaviour(sqliteStore));

describe.skipIf(!available)(
  serviceSuite('pruneStore (log), PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));
    pruneBehaviour(postgresStore);
  },
);
