import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createPrivateFile, makePrivateDirectory } from '../../src/core/private-files.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../support/temp.js';

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

/** Runs the test under `mask` (forks pool: the umask is this process's own). */
function withUmask(mask: number): void {
  const before = process.umask(mask);
  onTestFinished(() => {
    process.umask(before);
  });
}

describe('private files', () => {
  it('Given umask 022, When directories are made, Then each one created is 0700 and an existing one is left alone', () => {
    withUmask(0o022);
    const dir = tempDir('private-');
    const existing = join(dir, 'shared');
    mkdirSync(existing, { mode: 0o755 });

    makePrivateDirectory(join(existing, 'a', 'b'));

    expect(modeOf(existing)).toBe('755');
    expect(modeOf(join(existing, 'a'))).toBe('700');
    expect(modeOf(join(existing, 'a', 'b'))).toBe('700');
  });

  it('Given a umask that takes the owner’s bits too, Then what is created is still 0700 / 0600, usable by its owner', () => {
    withUmask(0o277);
    const dir = tempDir('private-');

    makePrivateDirectory(join(dir, 'store'));
    expect(createPrivateFile(join(dir, 'store', 'agent.db'))).toBe(true);

    expect(modeOf(join(dir, 'store'))).toBe('700');
    expect(modeOf(join(dir, 'store', 'agent.db'))).toBe('600');
  });

  it('Given a file that exists, Then it is neither created again, truncated, nor changed in mode', () => {
    const path = join(tempDir('private-'), 'kept.ndjson');
    writeFileSync(path, 'kept');
    chmodSync(path, 0o640);

    expect(createPrivateFile(path)).toBe(false);

    expect(modeOf(path)).toBe('640');
    expect(statSync(path).size).toBe(4);
  });

  it('Given umask 022, When a SQLite store is created and written, Then its directory is 0700 and agent.db, -wal and -shm 0600', async () => {
    withUmask(0o022);
    const dir = join(tempDir('private-'), '.agentctl');
    const path = join(dir, 'agent.db');

    const store = await openSqliteStore({ path });
    try {
      await store.log.append('events', [{ value: Buffer.from('{"secret":true}') }]);
      expect(modeOf(dir)).toBe('700');
      for (const file of ['agent.db', 'agent.db-wal', 'agent.db-shm']) {
        expect([file, modeOf(join(dir, file))]).toEqual([file, '600']);
      }
    } finally {
      await store.close();
    }
  });
});
