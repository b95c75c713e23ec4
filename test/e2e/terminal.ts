import { randomBytes } from 'node:crypto';
import type { Project } from './support.js';
import { until } from './support.js';

/** A command running in a detached tmux terminal of its own (160×50 unless told), to look at and type into. */
export interface Terminal {
  screen(): Promise<string>;
  keys(...keys: string[]): Promise<void>;
  waitFor(what: RegExp, timeoutMs?: number): Promise<string>;
  /** True once the command ended (the session then shows `[exited]`). */
  ended(): Promise<boolean>;
  close(): Promise<void>;
}

export async function inTerminal(
  p: Project,
  line: string,
  size: { readonly columns: number; readonly rows: number } = { columns: 160, rows: 50 },
): Promise<Terminal> {
  const socket = `agentctl-e2e-${randomBytes(4).toString('hex')}`;
  const tmux = (args: string) => p.run(`tmux -L ${socket} ${args}`);
  const started = await tmux(
    // Ink draws nothing live when it believes it runs in CI (CI=true in .ci/run); a terminal is a terminal.
    `new-session -d -s e2e -x ${size.columns} -y ${size.rows} -c ${JSON.stringify(p.dir)} ${singleQuoted(`export CI=0 CONTINUOUS_INTEGRATION=0; ${line}; echo "[exited $?]"; sleep 60`)}`,
  );
  if (started.code !== 0) throw new Error(`tmux did not start: ${started.output}`);
  const screen = async () => (await tmux('capture-pane -p -t e2e')).stdout;
  return {
    screen,
    async keys(...keys) {
      await tmux(`send-keys -t e2e ${keys.join(' ')}`);
    },
    async waitFor(what, timeoutMs = 30_000) {
      let last = '';
      await until(
        `the terminal shows ${what}`,
        async () => {
          last = await screen();
          return what.test(last);
        },
        timeoutMs,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; screen:\n${last}`);
      });
      return last;
    },
    async ended() {
      return /\[exited \d+\]/.test(await screen());
    },
    async close() {
      await tmux('kill-server');
    },
  };
}

/**
 * A word for the shell that starts tmux, in single quotes: nothing in it is expanded there, so `$?` is the
 * code of the command in the terminal, not of the shell that started tmux.
 */
function singleQuoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
