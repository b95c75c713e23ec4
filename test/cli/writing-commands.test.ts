import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActiveContext } from '../../src/cli/settings.js';
import { refuseWritesIn, WRITING_COMMANDS } from '../../src/cli/writing-commands.js';

const COMMANDS = join(import.meta.dirname, '../../src/commands');

/** Command ids as oclif names them (`checkpoint:set`), from the command files. */
function commandIds(dir = COMMANDS): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? commandIds(join(dir, entry.name))
      : [relative(COMMANDS, join(dir, entry.name)).replace(/\.ts$/, '').replace(/\//g, ':')],
  );
}

/** Commands that only look (or, like init and context, touch nothing a context names). */
const LOOKING = [
  'status',
  'alerts',
  'tui',
  'init',
  'doctor',
  'failed:list',
  'failed:show',
  'failed:export',
  'rules:list',
  'rules:test',
  'checkpoint:list',
  'checkpoint:history',
  'checkpoint:set',
  'checkpoint:reset',
  'peek',
  'describe',
  'runs:list',
  'runs:show',
  'context:add',
  'context:use',
  'context:list',
  'context:show',
  'context:remove',
];

const readonlyContext = (chosenBy: ActiveContext['chosenBy']): ActiveContext => ({
  name: 'prod-look',
  chosenBy,
  context: { db: '/x.db', readonly: true },
});

describe('a read-only context refuses every command that writes', () => {
  it('every command is either a writing one or a looking one', () => {
    const unclassified = commandIds().filter((id) => !(id in WRITING_COMMANDS) && !LOOKING.includes(id));
    expect(unclassified).toEqual([]);
    for (const id of Object.keys(WRITING_COMMANDS)) expect(commandIds()).toContain(id);
  });

  it.each(Object.keys(WRITING_COMMANDS))('%s is refused, naming the context (exit 2)', (id) => {
    expect(() => refuseWritesIn(readonlyContext('current'), id)).toThrow(
      expect.objectContaining({
        kind: 'input',
        message: expect.stringMatching(
          /^context "prod-look" is read-only: agentctl .+ refused, nothing was done$/,
        ),
        hint: expect.stringContaining('agentctl context use'),
      }),
    );
    expect(() => refuseWritesIn(readonlyContext('flag'), id)).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('--context') }),
    );
  });

  it.each(LOOKING)('%s runs', (id) => {
    expect(() => refuseWritesIn(readonlyContext('current'), id)).not.toThrow();
  });

  it('peek looks, but peek --requeue takes messages and gives them back: refused', () => {
    expect(() => refuseWritesIn(readonlyContext('current'), 'peek', { requeue: false })).not.toThrow();
    expect(() => refuseWritesIn(readonlyContext('current'), 'peek', { requeue: true })).toThrow(
      expect.objectContaining({
        kind: 'input',
        message: expect.stringMatching(/^context "prod-look" is read-only: agentctl peek --requeue takes/),
      }),
    );
  });

  it.each(['checkpoint:set', 'checkpoint:reset'])(
    '%s plans in a read-only context, and --execute is refused',
    (id) => {
      expect(() => refuseWritesIn(readonlyContext('current'), id, { execute: false })).not.toThrow();
      expect(() => refuseWritesIn(readonlyContext('current'), id, { execute: true })).toThrow(
        expect.objectContaining({
          kind: 'input',
          message: `context "prod-look" is read-only: agentctl ${id.replace(':', ' ')} --execute moves checkpoints; refused, nothing was done`,
        }),
      );
    },
  );

  it('a context that is not read-only refuses nothing', () => {
    const open: ActiveContext = { name: 'dev', chosenBy: 'current', context: { db: '/x.db' } };
    for (const id of Object.keys(WRITING_COMMANDS)) expect(() => refuseWritesIn(open, id)).not.toThrow();
    expect(() => refuseWritesIn(undefined, 'replay')).not.toThrow();
  });
});
