import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { agentctl, startAgentctl } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

interface Line {
  partition: string;
  position: string;
  event?: { id: string };
  raw?: string;
  error?: string;
}

const event = (id: string) =>
  JSON.stringify({ specversion: '1.0', id, source: '/test', type: 'order.placed' });

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

const linesOf = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);

describe('agentctl peek --follow and file:', () => {
  it('--follow prints records appended while it runs, and Ctrl-C ends it with exit 0 and nothing lost', async () => {
    const dir = tempDir('peek-follow-');
    mkdirSync(join(dir, '.agentctl'));
    const db = join(dir, '.agentctl', 'agent.db');
    const store = await openSqliteStore({ path: db });
    await store.log.ensureTopic('events', 2);
    const append = (ids: string[]) =>
      store.log.append(
        'events',
        ids.map((id, i) => ({ value: Buffer.from(event(id)), partition: i % 2 })),
      );
    await append(['a', 'b', 'c']);
    const follow = startAgentctl(['peek', '--follow', '--json'], { cwd: dir });
    try {
      await until('the three stored records are printed', () => linesOf(follow.stdout()).length === 3);
      await append(['d', 'e']);
      await until('the two appended records are printed', () => linesOf(follow.stdout()).length === 5);
      follow.child.kill('SIGINT');
      const done = await follow.done;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).not.toMatch(/error/i);
      const ids = linesOf(done.stdout).map((l) => l.event?.id);
      expect(ids.slice(0, 3).sort()).toEqual(['a', 'b', 'c']);
      expect(ids.slice(3).sort()).toEqual(['d', 'e']);
    } finally {
      follow.child.kill('SIGKILL');
      await store.close();
    }
  });

  it('reads an NDJSON file: every line in order, a bad line shown with its reason, and no store is created', () => {
    const dir = tempDir('peek-file-');
    writeFileSync(join(dir, 'events.ndjson'), [event('f1'), event('f2'), '{broken', event('f3')].join('\n'));
    const run = agentctl(['peek', 'file:events.ndjson', '--json', '-n', '0'], { cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const lines = linesOf(run.stdout);
    expect(lines.map((l) => l.event?.id ?? 'undecodable')).toEqual(['f1', 'f2', 'undecodable', 'f3']);
    expect(lines[2]!.error).toMatch(/json/i);
    expect(Buffer.from(lines[2]!.raw!, 'base64').toString()).toBe('{broken');
    expect(existsSync(join(dir, '.agentctl'))).toBe(false);

    const two = agentctl(['peek', 'file:events.ndjson', '--json', '-n', '2'], { cwd: dir });
    expect(linesOf(two.stdout).map((l) => l.event?.id)).toEqual(['f1', 'f2']);
  });
});
