/**
 * Shell completion as a user sets it up: `agentctl autocomplete bash|zsh` builds the completion cache, the
 * line printed by `agentctl autocomplete script SHELL` goes into the shell's rc file, and TAB completes
 * commands, subcommands and flags (the README's setup lines, run with HOME in a temp project). bash is driven through its completion function (the same call bash
 * makes on TAB); zsh through a real terminal in tmux, skipped visibly when zsh or tmux is missing.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectExit, project, REPO, scenarios } from './support.js';
import { inTerminal } from './terminal.js';

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** A project whose home and cache are its own directory: the completion cache lands there. */
function completionProject() {
  const p = project('completion-');
  const home = { HOME: p.dir, XDG_CACHE_HOME: join(p.dir, '.cache'), XDG_DATA_HOME: join(p.dir, '.data') };
  return { p, home };
}

/** What bash offers on TAB after `words` (the last one is the word being completed). */
function bashLine(words: readonly string[]): string {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  return [
    'source ~/.bashrc',
    `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMP_LINE=${JSON.stringify(words.join(' '))}`,
    '_agentctl_autocomplete',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
    'printf "%s\\n" "${COMPREPLY[@]}" | sort -u',
  ].join('; ');
}

/** Every command the CLI has, as typed (`failed list`), from the built command files. */
function commandsOfDist(): string[] {
  const root = join(REPO, 'dist', 'commands');
  const names: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      for (const file of readdirSync(join(root, entry.name))) {
        if (file.endsWith('.js')) names.push(`${entry.name} ${file.slice(0, -3)}`);
      }
    } else if (entry.name.endsWith('.js')) names.push(entry.name.slice(0, -3));
  }
  return names;
}

const { readme, skip } = scenarios('completion', 'completion-zsh');
const zshInTerminal = has('zsh') && has('tmux');
if (!zshInTerminal) skip('completion-zsh');

describe('shell completion', () => {
  it('bash: the README setup makes TAB complete commands, subcommands and flags in a new shell', async () => {
    const { p, home } = completionProject();
    const setup = await p.run(readme('agentctl autocomplete bash'), { env: home });
    expectExit(setup, 0);
    expect(setup.output).toContain('agentctl autocomplete script bash');
    expectExit(await p.run(readme('agentctl autocomplete script bash >> ~/.bashrc'), { env: home }), 0);
    expect(readFileSync(join(p.dir, '.bashrc'), 'utf8')).toContain('AGENTCTL_AC_BASH_SETUP_PATH=');

    const top = await p.run(bashLine(['agentctl', '']), { env: home });
    expectExit(top, 0);
    const offered = top.stdout.split('\n').filter(Boolean);
    const topics = [...new Set(commandsOfDist().map((c) => c.split(' ')[0]!))];
    expect(offered).toEqual(expect.arrayContaining(topics));

    const failed = await p.run(bashLine(['agentctl', 'fai']), { env: home });
    expect(failed.stdout.trim()).toBe('failed');
    const sub = await p.run(bashLine(['agentctl', 'failed', 'di']), { env: home });
    expect(sub.stdout.trim()).toBe('discard');
    const flag = await p.run(bashLine(['agentctl', 'replay', '--wh']), { env: home });
    expect(flag.stdout.trim()).toBe('--where');

    expectExit(await p.run(readme('agentctl autocomplete --refresh-cache'), { env: home }), 0);
    const again = await p.run(bashLine(['agentctl', 'failed', 'di']), { env: home });
    expect(again.stdout.trim()).toBe('discard');
  });

  it.skipIf(!zshInTerminal)(
    'zsh (skipped without zsh and tmux): after the README setup, TAB in a real terminal completes a command and its subcommand',
    async () => {
      const { p, home } = completionProject();
      expectExit(await p.run(readme('agentctl autocomplete zsh'), { env: home }), 0);
      expectExit(await p.run(readme('agentctl autocomplete script zsh >> ~/.zshrc'), { env: home }), 0);
      appendFileSync(join(p.dir, '.zshrc'), 'PROMPT="zsh> "\n');
      const env = Object.entries(home)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ');
      const term = await inTerminal(p, `export ${env}; zsh -i`);
      try {
        await term.waitFor(/zsh>/);
        await term.keys("'agentctl fai'", 'Tab');
        await term.waitFor(/zsh> agentctl failed\s*$/m);
        await term.keys("'di'", 'Tab');
        await term.waitFor(/zsh> agentctl failed discard\s*$/m);
      } finally {
        await term.close();
      }
    },
  );
});
