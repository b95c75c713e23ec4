import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentctl, BIN, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** Issue 12: errors a tired operator must be able to trust — as the user meets them, in a fresh dir. */
describe('agentctl errors (spawned CLI)', () => {
  describe('oclif errors: whole, in the one style, exit 2', () => {
    it('keeps every line of a parse error, not only the first', () => {
      const dir = tempDir();

      const missing = agentctl(['failed', 'show'], { cwd: dir });
      const badInt = agentctl(['status', '--limit', 'abc'], { cwd: dir });

      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(
        'error: Missing 1 required arg:\n  id  Id of the item (see `agentctl failed list`).\n  try: agentctl failed show --help\n',
      );
      expect(badInt.code).toBe(2);
      expect(badInt.stderr).toContain('error: --limit: Expected an integer but received: abc\n');
    });

    it('a bad argument value (failed show abc, failed edit 1.5) is bad input: exit 2 with the help, not "unexpected"', () => {
      const dir = tempDir();
      for (const args of [
        ['failed', 'show', 'abc'],
        ['failed', 'edit', '1.5'],
        ['failed', 'discard', 'x', '--yes'],
      ]) {
        const r = agentctl(args, { cwd: dir });
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr).toBe(
          `error: argument: Expected an integer but received: ${args[2]}\n  try: agentctl failed ${args[1]} --help\n`,
        );
      }
    });

    it('says what it would accept for a bad option value', () => {
      const r = agentctl(['consume', '--runner', 'bogus'], { cwd: tempDir() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error: Expected --runner=bogus to be one of: inline, pool, queue\n {2}try: /,
      );
    });

    it('suggests the command and the flag meant', () => {
      const dir = tempDir();

      const command = agentctl(['consme'], { cwd: dir });
      const sub = agentctl(['checkpoint', 'lst'], { cwd: dir });
      const flag = agentctl(['consume', '--untill-empty'], { cwd: dir });

      expect(command.code).toBe(2);
      expect(command.stderr).toBe(
        'error: "consme" is not an agentctl command; did you mean "consume"?\n  try: agentctl consume --help\n',
      );
      expect(sub.code).toBe(2);
      expect(sub.stderr).toContain('did you mean "checkpoint list"?');
      expect(flag.code).toBe(2);
      expect(flag.stderr).toContain('error: unknown flag --untill-empty; did you mean --until-empty?');
      expect(existsSync(join(dir, '.agentctl'))).toBe(false);
    });

    it('agentctl help lists the commands; help COMMAND shows its help', () => {
      const dir = tempDir();

      const all = agentctl(['help'], { cwd: dir });
      const one = agentctl(['help', 'checkpoint', 'set'], { cwd: dir });

      expect(all.code).toBe(0);
      expect(all.stdout).toContain('consume');
      expect(all.stdout).toContain('replay');
      expect(one.code).toBe(0);
      expect(one.stdout).toContain('--position');
    });
  });

  describe('consume --from', () => {
    it.each(['banana', 'yesterday', '2025-02-31'])(
      'refuses %s, naming the forms it takes (exit 2)',
      (from) => {
        const dir = tempDir();
        agentctl(['publish', '--type', 'a.b'], { cwd: dir });

        const r = agentctl(['consume', '--from', from, '--until-empty'], { cwd: dir });

        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`error: --from: "${from}" is not a`);
        expect(r.stderr).toContain('try: give --from checkpoint, earliest, latest, a position');
      },
    );

    it('still takes a position and an ISO time', () => {
      const dir = tempDir();
      agentctl(['publish', '--type', 'a.b'], { cwd: dir });
      expect(agentctl(['consume', '--from', '0', '--until-empty'], { cwd: dir }).code).toBe(0);
      expect(
        agentctl(['consume', '--from', '2025-01-31T12:00:00Z', '--until-empty'], { cwd: dir }).code,
      ).toBe(0);
    });
  });

  describe('config errors', () => {
    it('names the key of a schema error in a .ts config', () => {
      const dir = tempDir();
      writeConfig(dir, `{ name: 'x', consumer: { poisonLimit: { maxConsecutive: 'ten' } } }`);

      const r = agentctl(['rules', 'list'], { cwd: dir });

      expect(r.code).toBe(2);
      expect(r.stderr).toContain('consumer.poisonLimit.maxConsecutive: expected a number, not a string');
      expect(r.stderr).not.toContain('syntax error');
    });

    it('gives file:line:column of a syntax error (.ts and .json), both counted from 1 as editors do', () => {
      const ts = tempDir();
      writeFileSync(join(ts, 'agentctl.config.ts'), "import { defineAgent } from 'agentctl';\nconst a = ;\n");
      const json = tempDir();
      writeFileSync(join(json, 'agentctl.config.json'), '{\n  "name": 3');

      const a = agentctl(['rules', 'list'], { cwd: ts });
      const b = agentctl(['rules', 'list'], { cwd: json });

      expect(a.code).toBe(2);
      expect(a.stderr).toContain(`error: ${join(ts, 'agentctl.config.ts')}:2:11: syntax error in the config`);
      expect(b.code).toBe(2);
      expect(b.stderr).toContain(
        `error: ${join(json, 'agentctl.config.json')}:2:12: syntax error in the config`,
      );
    });
    it('Given a syntax error in a module the config imports, Then the error names that file and its line, not the config', () => {
      const dir = tempDir();
      writeFileSync(
        join(dir, 'agentctl.config.ts'),
        "import { defineAgent } from 'agentctl/config';\nimport { name } from './naming.js';\nexport default defineAgent({ name });\n",
      );
      writeFileSync(join(dir, 'naming.js'), "exports.name = 'orders';\nconst a = ;\n");

      const r = agentctl(['rules', 'list'], { cwd: dir });

      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        `error: ${join(dir, 'naming.js')}:2:11: syntax error in naming.js, which the config loads`,
      );
      expect(r.stderr).toContain(`fix ${join(dir, 'naming.js')} at line 2, column 11`);
    });
  });

  describe('a missing store or config', () => {
    it.each([
      ['status'],
      ['checkpoint', 'list'],
      ['failed', 'list'],
      ['failed', 'show', '1'],
      ['failed', 'export'],
      ['drain'],
      ['rules', 'test', '--event', 'event.json'],
    ])('%s refuses a mistyped --db instead of showing an empty new store', (...command) => {
      const dir = tempDir();
      writeConfig(dir, `{ name: 'orders' }`);
      writeFileSync(join(dir, 'event.json'), '{}');

      const r = agentctl([...command, '--db', 'typo/agent.db'], { cwd: dir });

      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: no state store at ${join(dir, 'typo/agent.db')}`);
      expect(r.stderr).toContain('try: check --db (or AGENTCTL_DB) for a typo');
      expect(existsSync(join(dir, 'typo'))).toBe(false);
    });

    it('consume and publish say they create a new store', () => {
      const dir = tempDir();
      writeConfig(dir, `{ name: 'orders' }`);

      const publish = agentctl(['publish', '--type', 'a.b', '--db', 'new/agent.db'], { cwd: dir });
      const consume = agentctl(['consume', '--until-empty', '--db', 'other.db'], { cwd: dir });
      const again = agentctl(['consume', '--until-empty', '--db', 'other.db'], { cwd: dir });

      expect(publish.code).toBe(0);
      expect(publish.stderr).toContain(`creating a new state store at ${join(dir, 'new/agent.db')}`);
      expect(consume.stderr).toContain(`creating a new state store at ${join(dir, 'other.db')}`);
      expect(again.stderr).not.toContain('creating');
    });

    it('says when no config is found, and refuses where one is needed', () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'elsewhere'));

      const publish = agentctl(['publish', '--type', 'a.b'], { cwd: dir });
      const rules = agentctl(['rules', 'list'], { cwd: dir });

      expect(publish.stderr).toContain(
        `note: no agentctl.config.{ts,mts,js,mjs,json} in ${dir}: using the defaults`,
      );
      expect(rules.code).toBe(2);
      expect(rules.stderr).toContain('there are no rules to list');
      // The flags a user gave are not hidden behind the defaults the note lists.
      expect(publish.stderr).toContain('no rules), under what --source and --db say;');
    });
  });

  describe('exit codes and pipes', () => {
    it('exits 2 for an unknown failed id and an unknown partition', () => {
      const dir = tempDir();
      agentctl(['publish', '--type', 'a.b'], { cwd: dir });

      expect(agentctl(['failed', 'show', '99'], { cwd: dir }).code).toBe(2);
      expect(agentctl(['checkpoint', 'set', '-p', '9', '--position', '0', '--yes'], { cwd: dir }).code).toBe(
        2,
      );
    });

    it('failed export | head exits 0 without a stack when the reader goes away', async () => {
      const dir = tempDir();
      writeConfig(
        dir,
        `{ name: 'agent', consumer: { poisonLimit: { maxConsecutive: 100000, maxRatio: 1 } } }`,
      );
      const junk = Array.from({ length: 20_000 }, (_, i) => `not json ${i} ${'x'.repeat(200)}`).join('\n');
      writeFileSync(join(dir, 'junk.ndjson'), junk);
      agentctl(['publish', '--file', 'junk.ndjson', '--raw'], { cwd: dir });
      expect(agentctl(['consume', '--until-empty'], { cwd: dir, timeoutMs: 120_000 }).code).toBe(0);

      // As `| head -n 1`: the reader takes a line, then closes the pipe while export still writes.
      const child = spawn(process.execPath, [BIN, 'failed', 'export', '--status', 'any'], { cwd: dir });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.stdout.once('data', () => child.stdout.destroy());
      const [code] = (await once(child, 'close')) as [number | null];

      expect(stderr).toBe('');
      expect(code).toBe(0);
    });
  });
});
