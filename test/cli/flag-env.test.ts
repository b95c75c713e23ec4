import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { flagEnv } from '../../src/cli/flags.js';

const COMMANDS = join(import.meta.dirname, '../../src/commands');

function commandFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? commandFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Every flag a command takes, as oclif aggregates them (the base command's, `--json`, its own). */
function flagsOf(command: Command.Class): Record<string, { env?: string }> {
  return { ...command.baseFlags, ...command.flags } as Record<string, { env?: string }>;
}

describe('every flag has the environment variable AGENTCTL_<FLAG>', () => {
  it('flagEnv: upper case, dashes as underscores', () => {
    expect(flagEnv('until-empty')).toBe('AGENTCTL_UNTIL_EMPTY');
    expect(flagEnv('db')).toBe('AGENTCTL_DB');
  });

  it.each(commandFiles(COMMANDS).map((f) => [relative(COMMANDS, f)]))('%s', async (file) => {
    const command = (await import(join(COMMANDS, file))).default as Command.Class;
    const flags = flagsOf(command);
    expect(Object.keys(flags).length).toBeGreaterThan(0);
    if (command.enableJsonFlag) expect(flags.json).toBeDefined();
    for (const [name, flag] of Object.entries(flags)) {
      expect({ flag: name, env: flag.env }).toEqual({ flag: name, env: flagEnv(name) });
    }
  });
});
