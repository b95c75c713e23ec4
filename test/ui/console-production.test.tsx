import { setTimeout as delay } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Console } from '../../src/ui/console/components/Console.js';
import { FakeConsoleSource, readingKeys, spyActions, until } from './console-fixtures.js';

const ENTER = '\r';

/** The console in a context (production or not), on the Failed pane, after its first frame. */
async function consoleIn(context: { name: string; production: boolean }) {
  const { actions, calls } = spyActions();
  const app = render(
    <Console
      source={new FakeConsoleSource()}
      actions={actions}
      refreshMs={60_000}
      group="orders"
      onQuit={() => undefined}
      size={{ columns: 100, rows: 30 }}
      initialPane="failed"
      context={context}
    />,
  );
  await until(() => (app.lastFrame() ?? '').includes('orders@host-1#4242'), 'the first frame');
  await readingKeys(app.stdin);
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      app.stdin.write(key);
      await delay(15);
    }
  };
  return { press, frame: () => app.lastFrame() ?? '', calls };
}

describe('Console in a production context', () => {
  it('shows the context name in a banner; a production context says PRODUCTION', async () => {
    const staging = await consoleIn({ name: 'staging', production: false });
    expect(staging.frame().split('\n')[0]).toContain('context staging');
    expect(staging.frame()).not.toContain('PRODUCTION');
    const prod = await consoleIn({ name: 'prod-eu', production: true });
    expect(prod.frame().split('\n')[0]).toContain('PRODUCTION: prod-eu');
  });

  it('does not act on y: the context name must be typed, then enter', async () => {
    const { press, frame, calls } = await consoleIn({ name: 'prod-eu', production: true });
    await press('j', 'r');
    await until(() => frame().includes('production context prod-eu: type its name'), 'the question');
    expect(frame()).toContain('Replay 1 failed message (12)');
    await press('y', ENTER);
    await until(() => frame().includes('not confirmed: type prod-eu exactly'), 'the refusal');
    expect(calls).toEqual([]);
    await press('r');
    await until(() => frame().includes('type its name'), 'the question again');
    await press(...'prod-eu');
    await until(() => frame().includes('then enter (esc cancels): prod-eu'), 'the name typed');
    await press(ENTER);
    await until(() => frame().includes('replayed 1 of 1 item'), 'the replay');
    expect(calls).toEqual([{ action: 'replay', args: [[12]] }]);
  });

  it('outside production, y confirms as before', async () => {
    const { press, frame, calls } = await consoleIn({ name: 'staging', production: false });
    await press('j', 'r');
    await until(() => frame().includes('Replay 1 failed message (12)'), 'the question');
    await press('y');
    await until(() => frame().includes('replayed 1 of 1 item'), 'the replay');
    expect(calls).toEqual([{ action: 'replay', args: [[12]] }]);
  });
});
