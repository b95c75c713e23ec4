import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { isUsageError } from '../../../src/core/errors/usage-error.js';
import { originalBytes } from '../../../src/core/ops/failed-edit/item-edits.js';
import { type CopyProgress, copyStore } from '../../../src/core/ops/store-copy/copy-store.js';
import { verifyCopy } from '../../../src/core/ops/store-copy/verify-copy.js';
import { openPostgresStore } from '../../../src/core/store/postgres/postgres-state-store.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { StateStore } from '../../../src/core/store/state-store.js';
import { expectSameContent, populate } from '../../support/populated-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

const available = await postgresAvailable();
const PREFIX = `agentctl_copy_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];

/** A populated SQLite store in a real file, closed when the test ends. */
async function populatedSource(): Promise<StateStore> {
  const store = await openSqliteStore({ path: join(tempDir('copy-'), 'agent.db') });
  onTestFinished(() => store.close());
  await populate(store);
  return store;
}

async function sqliteTarget(): Promise<StateStore> {
  const store = await openSqliteStore({ path: join(tempDir('copy-'), 'target.db') });
  onTestFinished(() => store.close());
  return store;
}

async function postgresTarget(): Promise<StateStore> {
  const schema = `${PREFIX}_${schemas.length}`;
  schemas.push(schema);
  const store = await openPostgresStore({ url: PG_URL, schema });
  onTestFinished(() => store.close());
  return store;
}

function copyBehaviour(openTarget: () => Promise<StateStore>): void {
  it('Given a populated SQLite file, When copied, Then everything but leases round-trips and the counts verify', async () => {
    const source = await populatedSource();
    const target = await openTarget();
    const progress: CopyProgress[] = [];

    const report = await copyStore(source, target, (p) => progress.push(p));

    await expectSameContent(source, target);
    expect(report.counts).toEqual({
      topics: { copied: 2, skipped: 0 },
      log: { copied: 1_202, skipped: 0 },
      failed: { copied: 620, skipped: 0 },
      runs: { copied: 522, skipped: 0 },
      ledger: { copied: 540, skipped: 0 },
      efforts: { copied: 530, skipped: 0 },
      agents: { copied: 2, skipped: 0 },
      control: { copied: 3, skipped: 0 },
      checkpoints: { copied: 3, skipped: 0 },
    });
    expect(report.conflicts).toEqual([]);
    expect(progress.at(-1)).toEqual({ kind: 'checkpoints', copied: 3, skipped: 0 });
    const verified = await verifyCopy(source, target);
    expect(verified.ok).toBe(true);
    for (const count of Object.values(verified.counts)) expect(count.target).toBe(count.source);
    expect(verified.counts.runs).toEqual({ source: 1_062, target: 1_062, ok: true });
  });

  it('Given a copy done once, When copied again, Then nothing is duplicated and everything is skipped', async () => {
    const source = await populatedSource();
    const target = await openTarget();
    await copyStore(source, target);

    const again = await copyStore(source, target);

    for (const count of Object.values(again.counts)) expect(count.copied).toBe(0);
    expect(again.counts.failed.skipped).toBe(620);
    expect(again.counts.log.skipped).toBe(1_202);
    await expectSameContent(source, target);
    const verified = await verifyCopy(source, target);
    for (const count of Object.values(verified.counts)) expect(count.target).toBe(count.source);
  });

  it('Given a source that grew after a first copy, When copied again, Then only the new records and items come', async () => {
    const source = await populatedSource();
    const target = await openTarget();
    await copyStore(source, target);
    await source.log.append('events', [{ value: new TextEncoder().encode('late'), partition: 1 }]);
    const [item] = await source.failed.list({ status: 'any', limit: 1 });
    await source.failed.recordFailure(item!.id, { at: 1, error: 'later', via: 'replay' });

    const again = await copyStore(source, target);

    expect(again.counts.log.copied).toBe(1);
    expect(again.counts.failed).toEqual({ copied: 1, skipped: 619 });
    await expectSameContent(source, target);
  });

  it('Given items edited twice, When copied, Then the copy has the same bytes, history and attempts, and its original', async () => {
    const source = await populatedSource();
    const [item] = await source.failed.list({ limit: 1 });
    const original = Buffer.from(item!.raw);
    const edits = ['{"v":1}', '{"v":2}'].map((t) => Buffer.from(t));
    let previous: Buffer = original;
    for (const [n, raw] of edits.entries()) {
      const entry = {
        at: 10 + n,
        error: `edit ${n}`,
        via: 'edit',
        by: 'ops@host',
        previousBase64: previous.toString('base64'),
      };
      expect(await source.failed.edit(item!.id, previous, { raw, entry })).toBe(true);
      previous = raw;
    }
    const target = await openTarget();

    await copyStore(source, target);

    await expectSameContent(source, target);
    const copy = (await target.failed.list({ status: 'any' })).find((i) => i.key === item!.key);
    expect(Buffer.from(copy!.raw).toString()).toBe('{"v":2}');
    expect(copy!.attempts).toBe(item!.attempts);
    expect(copy!.history.map((h) => h.via)).toEqual(
      (await source.failed.get(item!.id))!.history.map((h) => h.via),
    );
    expect(Buffer.from(originalBytes(copy!)).equals(original)).toBe(true);
  });

  it('Given a target with its own checkpoint for a partition, When copied, Then the target keeps it and says so', async () => {
    const source = await populatedSource();
    const target = await openTarget();
    await target.checkpoints.set([
      { group: 'orders', source: 'local:events', partition: '1', position: '77' },
    ]);

    const report = await copyStore(source, target);

    expect(report.counts.checkpoints).toEqual({ copied: 2, skipped: 1 });
    expect(report.conflicts).toEqual(['checkpoint orders/local:events/1: kept 77 (the source has 12)']);
    expect((await target.checkpoints.get('orders', 'local:events')).get('1')?.position).toBe('77');
  });

  it('Given a target whose topic holds other records, When copied, Then it is a usage error naming the partition', async () => {
    const source = await populatedSource();
    const target = await openTarget();
    await target.log.ensureTopic('events', 3);
    await target.log.append('events', [
      { value: new TextEncoder().encode('not from the source'), partition: 0 },
    ]);

    const error = await copyStore(source, target).catch((e: unknown) => e);

    expect(isUsageError(error)).toBe(true);
    expect((error as Error).message).toContain('partition 0 of topic "events"');
  });
}

describe('copyStore from SQLite to SQLite', () => {
  copyBehaviour(sqliteTarget);
});

describe.skipIf(!available)(
  serviceSuite('copyStore from SQLite to PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    afterAll(() => dropSchemas(schemas));

    copyBehaviour(postgresTarget);
  },
);
