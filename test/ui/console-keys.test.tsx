import { setTimeout as delay } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import type { ConsoleActions } from '../../src/core/console/actions.js';
import { consoleActions } from '../../src/core/console/actions.js';
import type { StateStore } from '../../src/core/store/state-store.js';
import { Console } from '../../src/ui/console/components/Console.js';
import type { PaneName } from '../../src/ui/console/console-state.js';
import { FakeConsoleSource, readingKeys, sampleView, spyActions, until } from './console-fixtures.js';

const KEYS = { tab: '\t', enter: '\r', escape: '\u001B', down: '\u001B[B', up: '\u001B[A' };

/** The console on a fake source, waiting for its first frame. */
async function consoleWith(
  actions: ConsoleActions,
  options: { initialPane?: PaneName; source?: FakeConsoleSource; refreshMs?: number } = {},
) {
  const source = options.source ?? new FakeConsoleSource();
  let quit = 0;
  const app = render(
    <Console
      source={source}
      actions={actions}
      refreshMs={options.refreshMs ?? 60_000}
      group="orders"
      onQuit={() => {
        quit++;
      }}
      size={{ columns: 100, rows: 30 }}
      {...(options.initialPane === undefined ? {} : { initialPane: options.initialPane })}
    />,
  );
  await until(() => (app.lastFrame() ?? '').includes('orders@host-1#4242'), 'the first frame');
  // A pane reads its rows when it comes on screen: keys act on rows only once they are there.
  await until(() => selectedLine(app.lastFrame() ?? '') !== '', 'the rows of the first pane');
  await readingKeys(app.stdin);
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      app.stdin.write(key);
      // A lone ESC waits a moment to see whether a sequence follows.
      await delay(key === KEYS.escape ? 80 : 15);
    }
  };
  const frame = () => app.lastFrame() ?? '';
  return { app, source, press, frame, quits: () => quit };
}

const selectedLine = (frame: string) => frame.split('\n').find((l) => l.startsWith('› ')) ?? '';

describe('Console keys', () => {
  it('switches panes with tab, shift-tab, ] and [, and 1-4', async () => {
    const { press, frame } = await consoleWith(spyActions().actions);
    // A pane reads its rows when it comes on screen: wait for them, however slow the machine.
    const shows = (text: string) => until(() => frame().includes(text), `the frame to show "${text}"`);
    await shows('4 partitions');
    await press(KEYS.tab);
    await shows('recent runs, newest first');
    await press(']');
    await shows('retries and publish efforts');
    await press('[', '[');
    await shows('4 partitions');
    await press('4');
    await shows('3 pending (process 3)');
    await press('\u001B[Z');
    await shows('retries and publish efforts');
  });

  it('moves the selection with j/k, arrows, g and G, and keeps the frame height', async () => {
    const { press, frame } = await consoleWith(spyActions().actions);
    await until(() => /^› 0 /.test(selectedLine(frame())), 'the selection at /^› 0 /');
    await press('j', KEYS.down);
    await until(() => /^› 2 /.test(selectedLine(frame())), 'the selection at /^› 2 /');
    await press('k');
    await until(() => /^› 1 /.test(selectedLine(frame())), 'the selection at /^› 1 /');
    await press('G');
    await until(() => /^› 3 /.test(selectedLine(frame())), 'the selection at /^› 3 /');
    await press('g');
    await until(() => /^› 0 /.test(selectedLine(frame())), 'the selection at /^› 0 /');
    expect(frame().split('\n')).toHaveLength(29);
  });

  it('counts every movement key typed faster than the console draws (key repeat, a loaded machine)', async () => {
    const { app, frame } = await consoleWith(spyActions().actions);
    await until(() => /^› 0 /.test(selectedLine(frame())), 'the selection at /^› 0 /');
    // Written back to back: both keys are read before the console draws again.
    app.stdin.write('j');
    app.stdin.write(KEYS.down);
    app.stdin.write('j');
    await until(() => /^› 3 /.test(selectedLine(frame())), 'the selection at /^› 3 /');
    app.stdin.write('k');
    app.stdin.write(KEYS.up);
    await until(() => /^› 1 /.test(selectedLine(frame())), 'the selection at /^› 1 /');
  });

  it('reads each key in the mode it lands in, however fast keys come: / then text is a search', async () => {
    const source = new FakeConsoleSource();
    const { app, frame } = await consoleWith(spyActions().actions, { source, initialPane: 'failed' });
    // Written back to back: `c` must be typed into the search, not open the checkpoint dialog.
    for (const key of ['/', 'c', 'u', 's', 't', KEYS.enter]) app.stdin.write(key);
    await until(() => source.queries.at(-1)?.failed.search === 'cust', 'the search in the query');
    await until(() => frame().includes('for "cust"'), 'for "cust"');
  });

  it('reads a line end inside a chunk of keys as Enter: "/cust⏎" written at once applies the search', async () => {
    const source = new FakeConsoleSource();
    const { app, frame } = await consoleWith(spyActions().actions, { source, initialPane: 'failed' });
    // One write, as a paste or a terminal multiplexer sends it.
    app.stdin.write('/cust\r');
    await until(() => source.queries.at(-1)?.failed.search === 'cust', 'the search in the query');
    await until(() => frame().includes('for "cust"'), 'for "cust"');
  });

  it('acts on the row the cursor is on when the key is read, not the row last drawn', async () => {
    const { actions, calls } = spyActions();
    const { app, press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    // Rows 13, 12, 11. j then space, back to back: the second row (12) is tagged.
    app.stdin.write('j');
    app.stdin.write(' ');
    app.stdin.write('D');
    await until(() => frame().includes('Discard 1 failed message (12)?'), 'Discard 1 failed message (12)?');
    await press(KEYS.escape, KEYS.escape);
    await until(() => !frame().includes('tagged'), 'the tags cleared');
    // j then r, back to back: the third row (11) is proposed.
    app.stdin.write('j');
    app.stdin.write('r');
    await until(() => frame().includes('Replay 1 failed message (11)'), 'Replay 1 failed message (11)');
    await press('y');
    await until(() => calls.length === 1, 'the replay');
    expect(calls).toEqual([{ action: 'replay', args: [[11]] }]);
  });

  it('asks before replaying the selected failed message, and replays it on y', async () => {
    const { actions, calls } = spyActions();
    const { press, frame, source } = await consoleWith(actions, { initialPane: 'failed' });
    await press('j', 'r');
    await until(
      () => frame().includes('Replay 1 failed message (12) through rules and processes?'),
      'Replay 1 failed message (12) through rules and processes?',
    );
    expect(calls).toEqual([]);
    await press('y');
    await until(() => frame().includes('replayed 1 of 1 item'), 'the result on the status line');
    expect(calls).toEqual([{ action: 'replay', args: [[12]] }]);
    expect(source.invalidations).toBe(1);
  });

  it('does nothing when the confirmation is refused', async () => {
    const { actions, calls } = spyActions();
    const { press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    await press('r', 'n');
    expect(frame()).not.toContain('Replay 1 failed message');
    await press('D', KEYS.escape);
    expect(frame()).not.toContain('Discard');
    await press('r', KEYS.enter);
    expect(calls).toEqual([]);
  });

  it('tags rows with space; r and D act on the tagged messages', async () => {
    const { actions, calls } = spyActions();
    const { press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    await press(' ', 'j', 'j', ' ');
    await until(() => frame().includes('2 tagged'), '2 tagged');
    await press('D');
    await until(
      () => frame().includes('Discard 2 failed messages (11, 13)? They stay in the store, never replayed.'),
      'Discard 2 failed messages (11, 13)? They stay in the store, never replayed.',
    );
    await press('y');
    await until(() => frame().includes('discarded 2 failed messages'), 'the discard result');
    expect(calls).toEqual([{ action: 'discard', args: [[11, 13]] }]);
    expect(frame()).not.toContain('tagged');
  });

  it('o asks before redriving the tagged (else the selected) failed messages to their origin, and redrives them on y', async () => {
    const { actions, calls } = spyActions();
    const { press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    await press('j', 'o');
    await until(
      () => frame().includes('Redrive 1 failed message (12) to the source they were read from?'),
      'the redrive question for the selected message',
    );
    await press('n');
    expect(calls).toEqual([]);
    await press('k', ' ', 'j', 'j', ' ', 'o');
    await until(
      () => frame().includes('Redrive 2 failed messages (11, 13)'),
      'the redrive question for the tagged',
    );
    expect(calls).toEqual([]);
    await press('y');
    await until(() => frame().includes('redrove 2 of 2 items to local:events'), 'the redrive result');
    expect(calls).toEqual([{ action: 'redrive', args: [[11, 13]] }]);
    expect(frame()).not.toContain('tagged');
  });

  it('read-only: o is refused by the action service, without a question', async () => {
    const actions = consoleActions({ store: {} as StateStore, config: { name: 'orders' }, readonly: true });
    const { press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    await press('o');
    await until(() => frame().includes('the console is read-only: redrive is disabled'), 'the refusal');
    expect(frame()).not.toContain('Redrive');
  });

  it('e edits the selected failed message in the editor and says how it ended; elsewhere it says where', async () => {
    const { actions, calls } = spyActions();
    const { press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    await press('j', 'e');
    await until(() => frame().includes('edited failed message 12 (2 changes): r replays'), 'the edit result');
    expect(calls).toEqual([{ action: 'edit', args: [12] }]);
    await press('1', 'e');
    await until(() => frame().includes('e edits a failed message: switch to the Failed pane'), 'the hint');
    expect(calls).toHaveLength(1);
  });

  it('sets or resets a checkpoint of the selected partition after confirmation', async () => {
    const { actions, calls } = spyActions();
    const { press, frame } = await consoleWith(actions);
    await press('j', 'c');
    await until(
      () => frame().includes('checkpoint of orders on local:events, partition 1'),
      'checkpoint of orders on local:events, partition 1',
    );
    await press('e');
    await until(
      () => frame().includes('Reset the checkpoint of orders partition 1 to earliest?'),
      'Reset the checkpoint of orders partition 1 to earliest?',
    );
    await press('y');
    await until(() => calls.length === 1, 'the reset');
    expect(calls[0]).toEqual({
      action: 'resetCheckpoints',
      args: [[{ group: 'orders', sourceId: 'local:events', partition: '1' }], 'earliest'],
    });
    await press('c', 's', '1', '2', 'x', '\u007F', '5', KEYS.enter);
    await until(
      () => frame().includes('Move the checkpoint of orders partition 1 to 125?'),
      'Move the checkpoint of orders partition 1 to 125?',
    );
    await press('y');
    await until(() => calls.length === 2, 'the set');
    expect(calls[1]).toEqual({
      action: 'setCheckpoint',
      args: [{ group: 'orders', sourceId: 'local:events', partition: '1' }, '125'],
    });
    await until(() => frame().includes('partition 0: 1000 → 1200'), 'the change on the status line');
  });

  it('drains the agent after confirmation', async () => {
    const { actions, calls } = spyActions();
    const { press, frame } = await consoleWith(actions);
    await press('d');
    await until(
      () => frame().includes('Drain orders@host-1#4242 (pid 4242 on host-1)?'),
      'Drain orders@host-1#4242 (pid 4242 on host-1)?',
    );
    await press('y');
    await until(() => frame().includes('orders@host-1#4242 is draining'), 'the drain result');
    expect(calls).toEqual([{ action: 'drain', args: ['orders@host-1#4242'] }]);
  });

  it('read-only: every action is refused by the action service, without a confirmation', async () => {
    const actions = consoleActions({ store: {} as StateStore, config: { name: 'orders' }, readonly: true });
    const { press, frame } = await consoleWith(actions, { initialPane: 'failed' });
    await until(() => frame().includes('READ-ONLY'), 'READ-ONLY');
    expect(frame()).not.toContain('r replay');
    await press('r');
    expect(frame()).not.toContain('Replay');
    await until(() => frame().includes('the console is read-only: replay is disabled'), 'the refusal');
    await press('D');
    await until(() => frame().includes('discard is disabled'), 'the discard refusal');
    await press('e');
    await until(() => frame().includes('edit is disabled'), 'the edit refusal');
    await press('1', 'c', 'l');
    await until(() => frame().includes('checkpoint reset is disabled'), 'the checkpoint refusal');
    await press('d');
    await until(() => frame().includes('drain is disabled'), 'the drain refusal');
  });

  it('p pauses live updates and resumes them (P in the Partitions pane, where p peeks)', async () => {
    const source = new FakeConsoleSource();
    const { press, frame } = await consoleWith(spyActions().actions, {
      source,
      refreshMs: 30,
      initialPane: 'processes',
    });
    await until(() => source.queries.length >= 3, 'a few refreshes');
    await press('p');
    await until(() => frame().includes('PAUSED'), 'PAUSED');
    await delay(50);
    const paused = source.queries.length;
    await delay(150);
    expect(source.queries.length).toBe(paused);
    await press('p');
    await until(() => source.queries.length > paused + 2, 'refreshes again');
    expect(frame()).not.toContain('PAUSED');
    await press('1', 'P');
    await until(() => frame().includes('PAUSED'), 'paused by P');
    expect(source.peeks).toEqual([]);
    await press('P');
    await until(() => !frame().includes('PAUSED'), 'resumed by P');
  });

  it('/ searches the failed store: the search goes to the data source', async () => {
    const source = new FakeConsoleSource();
    const { press, frame } = await consoleWith(spyActions().actions, { source, initialPane: 'failed' });
    await press('/', 'c', 'u', 's', 't');
    await until(() => frame().includes('search: cust'), 'search: cust');
    await press(KEYS.enter);
    await until(() => source.queries.at(-1)?.failed.search === 'cust', 'the search in the query');
    await until(() => frame().includes('for "cust"'), 'for "cust"');
  });

  it('/ filters the rows of the other panes', async () => {
    const source = new FakeConsoleSource(sampleView());
    const { press, frame } = await consoleWith(spyActions().actions, { source, initialPane: 'processes' });
    await press('/', 'f', 'a', 'i', 'l', KEYS.enter);
    await until(() => frame().includes('1 shown  ·  filter "fail"'), '1 shown  ·  filter "fail"');
    await until(() => /^› r3 /.test(selectedLine(frame())), 'the selection at /^› r3 /');
  });

  it('? shows the help, any key closes it, q quits', async () => {
    const { press, frame, quits } = await consoleWith(spyActions().actions);
    await press('?');
    await until(
      () => frame().includes('replay the tagged (else the selected) failed messages'),
      'replay the tagged (else the selected) failed messages',
    );
    await press('x');
    await until(() => frame().includes('4 partitions'), '4 partitions');
    await press('q');
    expect(quits()).toBe(1);
  });
});
