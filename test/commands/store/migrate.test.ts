import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runIdOf } from '../../../src/core/model/run-id.js';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { PG_SCHEMA_VERSION } from '../../../src/core/store/postgres/pg-migrations.js';
import { toLedgerData } from '../../../src/core/store/rows/ledger-codec.js';
import { SCHEMA_VERSION } from '../../../src/core/store/sqlite/migrations.js';
import { submissionEvents } from '../../core/agent/fixtures.js';
import { agentctl, writeConfig } from '../../support/cli.js';
import { pgStoreAtVersion, sqliteStoreAtVersion } from '../../support/old-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

const available = await postgresAvailable();

/** Batch rows and keys of a PostgreSQL store's ledger (schema 9). */
async function ledgerShape(schema: string): Promise<{ batches: number; keys: number }> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT (SELECT count(*)::int FROM "${schema}".run_ledger) AS batches,
        (SELECT count(*)::int FROM "${schema}".run_ledger_events) AS keys`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

/** An agent whose one rule records each submission with a one-step process (a run per event). */
const RECORD_AGENT = `{
  name: 'orders',
  publisher: { sink: 'none' },
  rules: [rule({ name: 'record-order', on: 'submission.created', process: 'record' })],
  processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
}`;

/** The plain success that `RECORD_AGENT` records for `event`, as an earlier agentctl left it. */
function recordedRun(event: { id: string; type: string; source: string }): RunRecord {
  return {
    id: runIdOf('orders', event, 'record-order'),
    group: 'orders',
    eventId: event.id,
    eventType: event.type,
    rule: 'record-order',
    process: 'record',
    state: 'succeeded',
    attempts: 1,
    steps: [
      { name: 'note', state: 'succeeded', attempts: 1, startedAt: 1_000, finishedAt: 1_001, history: [] },
    ],
    createdAt: 1_000,
    finishedAt: 1_001,
    runner: 'inline',
    updatedAt: 1_001,
  };
}

describe('agentctl store migrate', () => {
  it('Given no store yet, When migrated twice, Then the file is created at the latest version, then found up to date', () => {
    const dir = tempDir('migrate-');

    const first = agentctl(['store', 'migrate', '--db', 'agent.db', '--json'], { cwd: dir });
    const second = agentctl(['store', 'migrate', '--db', 'agent.db'], { cwd: dir });

    expect(first.code).toBe(0);
    expect(first.json()).toEqual({
      kind: 'sqlite',
      location: join(dir, 'agent.db'),
      from: 0,
      to: SCHEMA_VERSION,
    });
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(
      `${join(dir, 'agent.db')}: schema version ${SCHEMA_VERSION}, up to date`,
    );
  });

  it('Given a store an older agentctl left (schema 3), When read commands open it, Then each says to migrate it (exit 2) and leaves it as it is; after store migrate they work', () => {
    const dir = tempDir('migrate-old-');
    sqliteStoreAtVersion(join(dir, 'agent.db'), 3).close();
    const commands = [
      ['status', '--db', 'agent.db'],
      ['failed', 'list', '--db', 'agent.db'],
      ['rules', 'test', '--db', 'agent.db', '--event', 'event.json'],
      ['store', 'copy', '--from', 'agent.db', '--to', 'copy.db', '--yes'],
      // Dry runs change nothing, the schema included.
      ['store', 'prune', '--db', 'agent.db', '--older-than', '1d', '--dry-run'],
      ['replay', '--failed', '--db', 'agent.db', '--dry-run'],
    ];
    writeFileSync(
      join(dir, 'agentctl.config.ts'),
      `import { defineAgent, defineProcess, rule } from 'agentctl';
export default defineAgent({
  name: 'orders',
  rules: [rule({ name: 'r', on: 't', process: 'p' })],
  processes: [defineProcess({ name: 'p', steps: [{ name: 's', run: () => ({}) }] })],
});
`,
    );
    writeFileSync(
      join(dir, 'event.json'),
      JSON.stringify({ specversion: '1.0', id: 'e1', source: '/s', type: 't', data: {} }),
    );

    for (const args of commands) {
      const result = agentctl(args, { cwd: dir });
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(`the state store ${join(dir, 'agent.db')} has schema version 3`);
      expect(result.stderr).toContain('agentctl store migrate --db');
      expect(result.stderr).not.toContain('unexpected');
    }
    const migrated = agentctl(['store', 'migrate', '--db', 'agent.db'], { cwd: dir });
    expect(migrated.stdout).toContain(`schema version 3 → ${SCHEMA_VERSION}`);
    expect(agentctl(['status', '--db', 'agent.db'], { cwd: dir }).code).toBe(0);
  });

  it('Given a schema-5 store whose ledger holds the runs of its log (as an agent left it), When migrated to 6 and the log is consumed again, Then no run executes twice and prune counts every run', () => {
    const dir = tempDir('migrate-ledger-');
    writeConfig(dir, RECORD_AGENT);
    const events = submissionEvents(30);
    const db = sqliteStoreAtVersion(join(dir, 'agent.db'), 5);
    db.prepare("INSERT INTO log_topics VALUES ('events', 1, 1)").run();
    const log = db.prepare("INSERT INTO log VALUES ('events', 0, ?, ?, 1, ?)");
    const ledger = db.prepare(
      'INSERT INTO run_ledger (id, event_id, group_name, process, data, finished_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    events.forEach((event, offset) => {
      log.run(offset, event.subject, Buffer.from(JSON.stringify(event)));
      const run = recordedRun(event);
      ledger.run(run.id, run.eventId, run.group, run.process, JSON.stringify(toLedgerData(run)), 1_001);
    });
    db.close();

    const migrated = agentctl(['store', 'migrate', '--db', 'agent.db', '--json'], { cwd: dir });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json()).toMatchObject({ from: 5, to: SCHEMA_VERSION });
    const consumed = agentctl(['consume', '--db', 'agent.db', '--until-empty', '--json'], { cwd: dir });
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.lines<{ type: string }>().find((l) => l.type === 'summary')).toMatchObject({
      read: 30,
      skippedRuns: 30,
      runs: { succeeded: 0 },
    });
    const prune = agentctl(['store', 'prune', '--db', 'agent.db', '--older-than', '1d', '--dry-run'], {
      cwd: dir,
    });
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout).toMatch(/runs\s+30/);
  });

  it('Given a schema-10 store with parked records (a 4 KB payload, a binary one), When migrated to 11, Then search finds them, replay delivers their bytes as they were, and prune takes their payloads with them', () => {
    const dir = tempDir('migrate-payloads-');
    const path = join(dir, 'agent.db');
    const big = Buffer.from(JSON.stringify({ note: 'lighthouse', pad: 'x'.repeat(4096) }));
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x80, 0x7f]);
    const db = sqliteStoreAtVersion(path, 10);
    const park = db.prepare(
      `INSERT INTO failed_messages (key, group_name, source, partition, position, reason, kind, error, run_id,
         sink, attempts, raw, timestamp, status, first_failed_at, last_failed_at, history)
       VALUES (?, 'orders', 'local:orders', '0', ?, 'publish', 'record', 'sink unreachable', ?, 'local:results',
         6, ?, 1, 'pending', 1, 1, '[]')`,
    );
    park.run('publish/local:results/run-1', '1', 'run-1', big);
    park.run('publish/local:results/run-2', '2', 'run-2', binary);
    db.close();
    writeConfig(dir, `{ name: 'orders', publisher: { sink: 'local:results' } }`);

    const migrated = agentctl(['store', 'migrate', '--db', path, '--json'], { cwd: dir });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.json()).toMatchObject({ from: 10, to: SCHEMA_VERSION });
    const found = agentctl(['failed', 'list', '--db', path, '--search', 'lighthouse', '--json'], {
      cwd: dir,
    });
    expect(found.code, found.stderr).toBe(0);
    expect(found.json<{ runId: string }[]>().map((item) => item.runId)).toEqual(['run-1']);

    const replay = agentctl(['replay', '--failed', '--db', path, '--yes'], { cwd: dir });
    expect(replay.code, replay.stderr).toBe(0);
    const reader = new Database(path, { readonly: true });
    try {
      const delivered = reader
        .prepare("SELECT value FROM log WHERE topic = 'results'")
        .pluck()
        .all() as Buffer[];
      expect(delivered.map((value) => value.toString('hex')).sort()).toEqual(
        [big.toString('hex'), binary.toString('hex')].sort(),
      );
    } finally {
      reader.close();
    }

    const pruned = agentctl(
      ['store', 'prune', '--db', path, '--only', 'failed', '--older-than', '0s', '--yes'],
      {
        cwd: dir,
      },
    );
    expect(pruned.code, pruned.stderr).toBe(0);
    const after = new Database(path, { readonly: true });
    try {
      expect(after.prepare('SELECT count(*) FROM failed_messages').pluck().get()).toBe(0);
      expect(after.prepare('SELECT count(*) FROM failed_payloads').pluck().get()).toBe(0);
    } finally {
      after.close();
    }
  });

  it('Given AGENTCTL_DB, Then it names the store to migrate', () => {
    const dir = tempDir('migrate-');
    const result = agentctl(['store', 'migrate', '--json'], { cwd: dir, env: { AGENTCTL_DB: 'state/x.db' } });
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ location: join(dir, 'state', 'x.db'), to: SCHEMA_VERSION });
  });
});

describe.skipIf(!available)(
  serviceSuite('agentctl store migrate on PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    const schema = `agentctl_cli_${randomBytes(4).toString('hex')}`;

    const old = `${schema}_v3`;
    const v4 = `${schema}_v4`;

    afterAll(() => dropSchemas([schema, old, v4]));

    it('Given a fresh schema, When migrated twice, Then it goes 0 → latest, then stays there', () => {
      const dir = tempDir('migrate-');
      const db = `${PG_URL}?schema=${schema}`;

      const first = agentctl(['store', 'migrate', '--db', db, '--json'], { cwd: dir });
      const second = agentctl(['store', 'migrate', '--db', db], { cwd: dir });

      expect(first.code).toBe(0);
      expect(first.json()).toMatchObject({ kind: 'postgres', from: 0, to: PG_SCHEMA_VERSION });
      expect(second.stdout).toContain(`schema=${schema}: schema version ${PG_SCHEMA_VERSION}, up to date`);
    });

    it('Given a schema an older agentctl left (schema 3), When status opens it, Then it says to migrate (exit 2); store migrate takes it 3 → latest and status works', async () => {
      const dir = tempDir('migrate-old-');
      await pgStoreAtVersion(PG_URL, old, 3);
      const db = `${PG_URL}?schema=${old}`;

      const refused = agentctl(['status', '--db', db], { cwd: dir });
      const migrated = agentctl(['store', 'migrate', '--db', db, '--json'], { cwd: dir });
      const again = agentctl(['status', '--db', db], { cwd: dir });

      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('has schema version 3');
      expect(refused.stderr).toContain('agentctl store migrate --db');
      expect(migrated.code).toBe(0);
      expect(migrated.json()).toMatchObject({ kind: 'postgres', from: 3, to: PG_SCHEMA_VERSION });
      expect(again.code).toBe(0);
    });

    it('Given a schema-4 store whose ledger holds the runs of its log (as an agent left it), When migrated to the batch ledger and the log is consumed again, Then no run executes twice and prune counts every run', async () => {
      const dir = tempDir('migrate-pg-ledger-');
      writeConfig(dir, RECORD_AGENT);
      await pgStoreAtVersion(PG_URL, v4, 4);
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      const t = (name: string) => `"${v4}".${name}`;
      try {
        const events = submissionEvents(30);
        await client.query(`INSERT INTO ${t('log_topics')} VALUES ('events', 1, 1)`);
        await client.query(`INSERT INTO ${t('log_heads')} VALUES ('events', 0, $1)`, [events.length]);
        for (const [offset, event] of events.entries()) {
          const run = recordedRun(event);
          await client.query(`INSERT INTO ${t('log')} VALUES ('events', 0, $1, $2, 1, $3)`, [
            offset,
            event.subject,
            Buffer.from(JSON.stringify(event)),
          ]);
          await client.query(
            `INSERT INTO ${t('run_ledger')} (event_id, id, group_name, process, data, finished_at)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [run.eventId, run.id, run.group, run.process, JSON.stringify(toLedgerData(run)), run.finishedAt],
          );
        }
      } finally {
        await client.end();
      }
      const db = `${PG_URL}?schema=${v4}`;

      const migrated = agentctl(['store', 'migrate', '--db', db, '--json'], { cwd: dir });
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.json()).toMatchObject({ kind: 'postgres', from: 4, to: PG_SCHEMA_VERSION });
      expect(await ledgerShape(v4)).toEqual({ batches: 1, keys: 30 });
      const listed = agentctl(['runs', 'list', '--db', db, '--json'], { cwd: dir });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json<unknown[]>()).toHaveLength(30);
      const consumed = agentctl(['consume', '--db', db, '--until-empty', '--json'], { cwd: dir });
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(consumed.lines<{ type: string }>().find((l) => l.type === 'summary')).toMatchObject({
        read: 30,
        skippedRuns: 30,
        runs: { succeeded: 0 },
      });
      const prune = agentctl(['store', 'prune', '--db', db, '--older-than', '1d', '--dry-run'], { cwd: dir });
      expect(prune.code, prune.stderr).toBe(0);
      expect(prune.stdout).toMatch(/runs\s+30/);
    });

    it('Given a server that does not answer, Then one error line names it without the password, exit 1 (unreachable, not bad input)', () => {
      const result = agentctl(['store', 'migrate', '--db', 'postgres://agent:s3cret@127.0.0.1:1/agents'], {
        cwd: tempDir('migrate-'),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'error: cannot reach the state store postgres://***@127.0.0.1:1/agents',
      );
      expect(result.stderr).not.toContain('s3cret');
    });
  },
);
