import { setTimeout as delay } from 'node:timers/promises';
import { render } from 'ink-testing-library';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ConsoleQuery, ConsoleView } from '../../src/core/console/data.js';
import { Console } from '../../src/ui/console/components/Console.js';
import { FakeConsoleSource, spyActions, until } from './console-fixtures.js';

/** A source whose every load takes `loadMs`, as a store grown large would. */
class SlowConsoleSource extends FakeConsoleSource {
  constructor(private readonly loadMs: number) {
    super();
  }

  override async load(query: ConsoleQuery): Promise<ConsoleView> {
    await delay(this.loadMs);
    return super.load(query);
  }
}

function consoleOn(source: FakeConsoleSource, refreshMs: number) {
  const app = render(
    <Console
      source={source}
      actions={spyActions().actions}
      refreshMs={refreshMs}
      group="orders"
      onQuit={() => undefined}
      size={{ columns: 140, rows: 30 }}
    />,
  );
  onTestFinished(() => app.unmount());
  return () => (app.lastFrame() ?? '').split('\n')[0] ?? '';
}

describe('Console refresh, as the header states it', () => {
  it('Given an idle store (the view does not change), When the console runs, Then the header says it redraws every 5 s when idle, not only the interval asked for', async () => {
    const header = consoleOn(new FakeConsoleSource(), 1_000);
    await until(() => header().includes('every'), 'the header');
    expect(header()).toMatch(/·\s+every 1\.0s, 5\.0s when idle\s+·/);
  });

  it('Given a store whose loads take longer than a tenth of the interval, When the console runs, Then it loads less often and the header says how often', async () => {
    const source = new SlowConsoleSource(150);
    const header = consoleOn(source, 100);
    await until(() => header().includes('slow store'), 'the stretched interval', 5_000);
    expect(header()).toMatch(/·\s+every \d+\.0s \(slow store; asked 100ms\), 5\.0s when idle\s+·/);
    await delay(500);
    const loads = source.queries.length;
    await delay(2_500);
    // Every 100 ms after each 150 ms load, it would load 10 times in 2.5 s; every 2 s or more, at most twice.
    expect(source.queries.length - loads).toBeLessThanOrEqual(2);
  });
});
