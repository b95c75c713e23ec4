import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { agentctl } from '../support/cli.js';
import { sqliteStoreAtVersion } from '../support/old-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { tempDir } from '../support/temp.js';

interface Report {
  readonly ok: boolean;
  readonly settings: Record<string, { value?: string; origin: string }>;
  readonly checks: { name: string; ok: boolean; detail: string; fix?: string }[];
}

const pgAvailable = await postgresAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (pgAvailable) await dropSchemas(schemas);
});

describe('agentctl doctor', () => {
  it('passes every check on the local default, and creates nothing', () => {
    const dir = tempDir('doctor-');
    const run = agentctl(['doctor'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^source\s+local:\s+default$/m);
    expect(run.stdout).toMatch(/^db\s+\.agentctl\/agent\.db\s+default$/m);
    for (const check of [
      'config loads',
      'store opens',
      'store directory writable',
      'source reachable',
      'sink reachable',
    ]) {
      expect(run.stdout).toContain(`✓ ${check}: `);
    }
    expect(run.stdout).not.toContain('✗');
    expect(run.stdout).toContain('all checks passed');
    expect(existsSync(join(dir, '.agentctl'))).toBe(false);
    const again = agentctl(['doctor', '--json'], { cwd: dir });
    expect(again.json<Report>().checks.find((c) => c.name === 'store opens')?.detail).toContain(
      'does not exist yet',
    );
  });

  it('fails on an unreachable broker with exit 1 and the fix, the password never printed', () => {
    const dir = tempDir('doctor-');
    const run = agentctl(['doctor', '--source', 'amqp://app:s3cret@127.0.0.1:1/?queue=orders'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      '✗ source reachable: amqp://***@127.0.0.1:1/?queue=orders: connect ECONNREFUSED',
    );
    expect(run.stdout).toContain('    fix: check that RabbitMQ runs at 127.0.0.1:1');
    expect(run.stdout).toContain('1 of 5 checks failed');
    expect(run.stdout + run.stderr).not.toContain('s3cret');
  });

  it('--json: ok, every setting with its origin (flag, env, context, config file, default), the checks', () => {
    const dir = tempDir('doctor-');
    const xdg = join(dir, 'xdg');
    writeFileSync(join(dir, 'agentctl.config.json'), JSON.stringify({ name: 'orders', store: 'file.db' }));
    const env = { XDG_CONFIG_HOME: xdg };
    expect(
      agentctl(['context', 'add', 'ctx', '--source', 'local:ctx-topic', '--sink', 'none'], { cwd: dir, env })
        .code,
    ).toBe(0);
    const run = agentctl(['doctor', '--json', '--context', 'ctx'], {
      cwd: dir,
      env: { ...env, AGENTCTL_SINK: 'local:env-sink' },
    });
    expect(run.code, run.stderr).toBe(0);
    const report = run.json<Report>();
    expect(report.ok).toBe(true);
    expect(report.settings).toEqual({
      context: { value: 'ctx', origin: 'flag' },
      config: { value: join(dir, 'agentctl.config.json'), origin: 'default' },
      source: { value: 'local:ctx-topic', origin: 'context' },
      db: { value: 'file.db', origin: 'config file' },
      sink: { value: 'local:env-sink', origin: 'env' },
    });
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['config loads', true],
      ['store directory writable', true],
      ['store opens', true],
      ['source reachable', true],
      ['sink reachable', true],
    ]);
    for (const check of report.checks) expect(typeof check.detail).toBe('string');
    const failing = agentctl(['doctor', '--json', '--sink', 'amqp://u:pw@127.0.0.1:1/?queue=q'], {
      cwd: dir,
      env,
    });
    expect(failing.code).toBe(1);
    const failed = failing.json<Report>();
    expect(failed.ok).toBe(false);
    expect(failed.settings.sink).toEqual({ value: 'amqp://***@127.0.0.1:1/?queue=q', origin: 'flag' });
    expect(failed.checks.find((c) => !c.ok)).toMatchObject({
      name: 'sink reachable',
      fix: expect.stringContaining('RabbitMQ'),
    });
  });

  it('a store an older agentctl left: migrations pending, the fix runs store migrate; the store is not touched', () => {
    const dir = tempDir('doctor-');
    sqliteStoreAtVersion(join(dir, 'old.db'), 3).close();
    const run = agentctl(['doctor', '--db', 'old.db'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /✗ store opens: .*schema version 3, older than this agentctl's \(\d+\): migrations pending/,
    );
    expect(run.stdout).toContain('    fix: run agentctl store migrate --db ');
    const db = new Database(join(dir, 'old.db'), { readonly: true });
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 3 });
    db.close();
  });

  it('a config that does not load is a failed check, and the rest is checked on the defaults', () => {
    const dir = tempDir('doctor-');
    writeFileSync(join(dir, 'agentctl.config.json'), '{ "name": "bad name!" }');
    const run = agentctl(['doctor'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ config loads: .*name/);
    expect(run.stdout).toContain('✓ store opens');
  });
});

describe.skipIf(!pgAvailable)(
  serviceSuite('agentctl doctor on PostgreSQL', pgAvailable, 'PostgreSQL', 'PG_URL'),
  () => {
    it('opens the store, reports its schema, and checks the clock skew against this host', () => {
      const dir = tempDir('doctor-');
      const schema = `doctor_${randomBytes(4).toString('hex')}`;
      schemas.push(schema);
      const db = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
      const before = agentctl(['doctor', '--db', db], { cwd: dir });
      expect(before.code).toBe(1);
      expect(before.stdout).toContain('✗ store opens');
      expect(agentctl(['store', 'migrate', '--db', db], { cwd: dir }).code).toBe(0);
      const run = agentctl(['doctor', '--db', db, '--json'], { cwd: dir });
      expect(run.code, run.stdout).toBe(0);
      const checks = run.json<Report>().checks;
      expect(checks.find((c) => c.name === 'store opens')?.detail).toMatch(
        /^postgres .*schema version \d+, no migration pending$/,
      );
      expect(checks.find((c) => c.name === 'postgres clock skew')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(
          /^the server's clock is \d+ ms (ahead of|behind) this host's \(±\d+ ms\)$/,
        ),
      });
    });
  },
);
