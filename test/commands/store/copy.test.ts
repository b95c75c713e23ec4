import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../../src/core/store/postgres/postgres-state-store.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl } from '../../support/cli.js';
import { expectSameContent, populate } from '../../support/populated-store.js';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

const available = await postgresAvailable();

/** A populated SQLite store in a real file of a fresh directory (closed: the CLI opens it). */
async function populatedFile(): Promise<{ dir: string; path: string }> {
  const dir = tempDir('copy-cli-');
  const path = join(dir, 'agent.db');
  const store = await openSqliteStore({ path });
  await populate(store);
  await store.close();
  return { dir, path };
}

describe('agentctl store copy', () => {
  it('Given no --yes and no terminal, Then it refuses without touching anything, exit 2', async () => {
    const { dir } = await populatedFile();

    const result = agentctl(['store', 'copy', '--from', 'agent.db', '--to', 'copy.db'], { cwd: dir });

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not confirmed');
    expect(result.stderr).toContain('try: add --yes');
  });

  it('Given a missing source, Then a usage error names it', () => {
    const dir = tempDir('copy-cli-');
    const result = agentctl(['store', 'copy', '--from', 'sqlite:missing.db', '--to', 'copy.db', '--yes'], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(join(dir, 'missing.db'));
  });

  it('Given a SQLite store, When copied into another file, Then the report shows the counts and they verify', async () => {
    const { dir } = await populatedFile();

    const result = agentctl(['store', 'copy', '--from', 'sqlite:agent.db', '--to', 'copy.db', '--yes'], {
      cwd: dir,
    });

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^failed\s+620\s+0\s+620\s+620$/m);
    expect(result.stdout).toMatch(/^runs\s+1,062\s+0\s+1,062\s+1,062$/m);
    expect(result.stdout).toContain('verified: the target holds everything the source holds');
  });
});

describe.skipIf(!available)(
  serviceSuite('agentctl store copy into PostgreSQL', available, 'PostgreSQL', 'PG_URL'),
  () => {
    const schema = `agentctl_cli_${randomBytes(4).toString('hex')}`;

    afterAll(() => dropSchemas([schema]));

    it('Given a populated SQLite file, When copied twice with --json, Then everything arrives once', async () => {
      const { dir, path } = await populatedFile();
      const to = `${PG_URL}?schema=${schema}`;
      const copy = () =>
        agentctl(['store', 'copy', '--from', path, '--to', to, '--yes', '--json'], { cwd: dir });

      const first = copy();
      const second = copy();

      expect(first.code).toBe(0);
      const report = first.json<{ counts: Record<string, { copied: number }>; verified: { ok: boolean } }>();
      expect(report).toMatchObject({
        from: path,
        to: to.replace(/\/\/[^@/]*@/, '//***@'),
        verified: { ok: true },
      });
      expect(report.counts.failed!.copied).toBe(620);
      expect(second.code).toBe(0);
      const again = second.json<{ counts: Record<string, { copied: number; skipped: number }> }>();
      for (const count of Object.values(again.counts)) expect(count.copied).toBe(0);
      const source = await openSqliteStore({ path, readonly: true });
      const target = await openPostgresStore({ url: to, readonly: true });
      try {
        await expectSameContent(source, target);
      } finally {
        await Promise.all([source.close(), target.close()]);
      }
    });
  },
);
