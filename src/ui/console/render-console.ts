// Must stay the first import: it selects React's build before Ink and React load.
import './production-react.js';
import { render } from 'ink';
import { createElement } from 'react';
import type { AgentConfig } from '../../core/config/agent-config.js';
import { consoleActions } from '../../core/console/actions.js';
import { ConsoleFeed, type LiveAgent } from '../../core/console/data.js';
import { configPeeker } from '../../core/console/partition-peek.js';
import { configSourceProbe } from '../../core/console/probe.js';
import type { StateStore } from '../../core/store/state-store.js';
import { Console } from './components/Console.js';

export interface RenderConsoleOptions {
  readonly store: StateStore;
  readonly config: AgentConfig;
  /** Every action is refused (by the action service, not only hidden). */
  readonly readonly?: boolean;
  /** Milliseconds between refreshes (default 1000). */
  readonly refreshMs?: number;
  /** The agent this process runs (`consume --tui`): read live, drained directly. */
  readonly agent?: LiveAgent;
  /** Only this agent group (default: every group). */
  readonly group?: string;
  /** The context in use (a production one: red banner, actions confirmed by typing its name). */
  readonly context?: { readonly name: string; readonly production: boolean };
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
}

export interface ConsoleHandle {
  /** Settles when the console is gone: the operator quit (`q`, ctrl-c) or `close()` was called. */
  readonly closed: Promise<void>;
  /** Takes the console down and gives the terminal back. */
  close(): void;
}

/** Switches to the alternate screen and puts the cursor home, where the first frame is drawn. */
const ALTERNATE_SCREEN = '\u001b[?1049h\u001b[H';
const MAIN_SCREEN = '\u001b[?1049l';

/**
 * Shows the live console on the terminal, in the alternate screen (as htop and k9s do: the shell's
 * scrollback is left as it was). The frame is one line shorter than the terminal and always the same
 * height; Ink writes it only when its text changed, as one synchronized update (DEC 2026), so terminals
 * that support it never show a half-drawn frame. (Ink 6.8's `incrementalRendering` is not used: with a
 * frame that ends in a newline it redraws one line too low, leaving a stale top line.)
 */
export function renderConsole(options: RenderConsoleOptions): ConsoleHandle {
  const stdout = options.stdout ?? process.stdout;
  const { store, config, agent, group } = options;
  const probe = agent === undefined ? configSourceProbe(store, config, group) : undefined;
  const feed = new ConsoleFeed({
    store,
    ...(group === undefined ? {} : { group }),
    ...(agent === undefined ? {} : { agent }),
    ...(probe === undefined ? {} : { probe }),
    peeker: configPeeker(store, config),
  });
  const actions = consoleActions({
    store,
    config,
    ...(options.readonly ? { readonly: true } : {}),
    ...(agent === undefined ? {} : { agent }),
  });
  let quit: () => void = () => undefined;
  const quitting = new Promise<void>((resolve) => {
    quit = resolve;
  });
  stdout.write(ALTERNATE_SCREEN);
  const instance = render(
    createElement(Console, {
      source: feed,
      actions,
      refreshMs: options.refreshMs ?? 1_000,
      ...(group === undefined ? {} : { group }),
      ...(agent === undefined ? {} : { liveAgentId: agent.id }),
      ...(options.context === undefined ? {} : { context: options.context }),
      onQuit: () => quit(),
      suspend: <T>(run: () => T): T => suspendTerminal(run),
    }),
    {
      stdout,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
      exitOnCtrlC: false,
      patchConsole: true,
      maxFps: 20,
    },
  );
  const stdin = options.stdin ?? process.stdin;
  /**
   * Runs a program that takes the terminal (the editor of `e`; it blocks this process): the main screen
   * and cooked mode for it, then the console's screen back, drawn whole.
   */
  const suspendTerminal = <T>(run: () => T): T => {
    const raw = stdin.isTTY && stdin.isRaw;
    if (raw) stdin.setRawMode(false);
    stdout.write(MAIN_SCREEN);
    try {
      return run();
    } finally {
      stdout.write(ALTERNATE_SCREEN);
      if (raw) stdin.setRawMode(true);
      instance.clear();
    }
  };
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
      stdout.write(MAIN_SCREEN);
      feed.close();
      await probe?.close().catch(() => undefined);
    })();
    return closing;
  };
  const closed = Promise.race([quitting, instance.waitUntilExit().then(() => undefined)]).then(close);
  return { closed, close: () => void close() };
}
