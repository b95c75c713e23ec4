import { setTimeout as delay } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import type { ConsoleView } from '../../src/core/console/data.js';
import { Console } from '../../src/ui/console/components/Console.js';
import type { PaneName } from '../../src/ui/console/console-state.js';
import { FakeConsoleSource, readingKeys, spyActions, until } from './console-fixtures.js';

/** A run id as the store makes them: 27 base64url characters. */
export const runId = (n: number) => `q7Xv2LmN0pRsTuVwYz-AbCdEf${n}`.slice(0, 27);

/** The console at 80×24 on `view` (actions refused with `readonly`), waiting for its first frame. */
export async function console80x24(view: ConsoleView, initialPane: PaneName, readonly = false) {
  const source = new FakeConsoleSource(view);
  const app = render(
    <Console
      source={source}
      actions={spyActions(readonly).actions}
      refreshMs={60_000}
      onQuit={() => undefined}
      size={{ columns: 80, rows: 24 }}
      initialPane={initialPane}
    />,
  );
  const frame = () => app.lastFrame() ?? '';
  await until(() => frame().includes('orders@host-1#4242'), 'the first frame');
  await readingKeys(app.stdin);
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      app.stdin.write(key);
      await delay(key === '\u001B' ? 80 : 15);
    }
  };
  /** Waits for a frame that `pattern` matches (Ink draws at its own pace), and returns it. */
  const shows = async (pattern: RegExp) => {
    await until(() => pattern.test(frame()), `a frame that shows ${pattern}`);
    return frame();
  };
  return { frame, press, shows, source };
}
