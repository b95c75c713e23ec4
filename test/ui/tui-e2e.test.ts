import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { publish, submissionEvents } from '../core/agent/fixtures.js';
import { agentctl, BIN, startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const EVENTS = 300;
/** Events whose `n` is a multiple of 10 fail while TUI_E2E_FAIL=1 (the consuming agent), not in the console. */
const FAILING = EVENTS / 10;

/** An agent `orders` on a local log of 2 partitions whose step takes 10 ms, so that lag goes down visibly. */
async function givenAnAgentWithEvents(): Promise<{ dir: string; db: string }> {
  const dir = tempDir('tui-e2e-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { localPartitions: 2, heartbeatMs: 200, commitPolicy: { intervalMs: 200, messages: 20 } },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'score-order', on: 'submission.created', process: 'score' })],
      processes: [
        defineProcess({
          name: 'score',
          steps: [
            {
              name: 'score',
              run: async ({ event }) => {
                await new Promise((resolve) => setTimeout(resolve, 10));
                const n = (event.data as { n: number }).n;
                if (process.env.TUI_E2E_FAIL === '1' && n % 10 === 0) throw new FatalError('order ' + n + ' has no customer');
                return n;
              },
            },
          ],
        }),
      ],
    }`,
  );
  const db = join(dir, '.agentctl', 'agent.db');
  const store = await openSqliteStore({ path: db });
  await store.log.ensureTopic('events', 2);
  await publish(store, submissionEvents(EVENTS));
  await store.close();
  return { dir, db };
}

/** A tmux server of its own, with one session `tui` of 160×50 running `command` in `dir`. */
function startTmux(dir: string, command: string) {
  const socket = `agentctl-e2e-${process.pid}-${Date.now()}`;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // Ink draws nothing live when it believes it runs in CI; a terminal is a terminal.
  const env = 'env NO_COLOR=1 CI=0 CONTINUOUS_INTEGRATION=0';
  tmux('new-session', '-d', '-s', 'tui', '-x', '160', '-y', '50', '-c', dir, `${env} ${command}; sleep 60`);
  onTestFinished(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
  });
  return {
    screen: () => tmux('capture-pane', '-p', '-t', 'tui'),
    press: async (key: string) => {
      tmux('send-keys', '-t', 'tui', key);
      await delay(150);
    },
  };
}

async function eventually<T>(
  probe: () => T | undefined,
  what: string,
  screen: () => string,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${screen()}`);
    await delay(100);
  }
}

/** The total lag on the Partitions tab: ` 1 Partitions  2 · lag 123`. */
const lagOf = (screen: string) => {
  const match = / 1 Partitions\s+\d+ · lag (\d+)/.exec(screen);
  return match === null ? undefined : Number(match[1]);
};

describe.skipIf(!hasTmux)('agentctl tui in a real terminal (tmux)', () => {
  let consumer: ReturnType<typeof startAgentctl> | undefined;
  afterEach(() => {
    if (consumer?.child.exitCode === null) consumer.child.kill('SIGKILL');
    consumer = undefined;
  });

  it('shows partitions with their lag going down, runs and failures; r (confirmed) replays a failed message', async () => {
    const { dir, db } = await givenAnAgentWithEvents();
    const tui = startTmux(dir, `node ${BIN} tui --refresh 0.2`);
    const { screen, press } = tui;
    await eventually(() => (lagOf(screen()) === EVENTS ? true : undefined), 'the lag of every event', screen);
    expect(screen()).toMatch(/^\s+PARTITION\s+STATE\s+COMMITTED\s+LATEST\s+LAG/m);
    expect(screen()).toMatch(/^› 0\s+unassigned\s+-\s+\d+\s+\d+/m);

    consumer = startAgentctl(['consume'], { cwd: dir, env: { TUI_E2E_FAIL: '1' } });
    const lags: number[] = [];
    await eventually(
      () => {
        const lag = lagOf(screen());
        if (lag !== undefined && lag !== lags.at(-1)) lags.push(lag);
        return lag === 0 ? true : undefined;
      },
      'the agent to catch up',
      screen,
    );
    expect(lags.length).toBeGreaterThanOrEqual(3);
    expect(lags.some((lag) => lag > 0 && lag < EVENTS)).toBe(true);
    expect(lags).toEqual([...lags].sort((a, b) => b - a));
    expect(screen()).toMatch(/^● orders@\S+\s+(ACTIVE|STEADY|IDLE)/m);
    expect(screen()).toMatch(/^› 0\s+reading\s+\d+\s+\d+\s+0\s+orders@/m);

    await press('2');
    await eventually(
      () =>
        new RegExp(`score\\s+0\\s+0\\s+${EVENTS - FAILING}\\s+${FAILING}`).test(screen()) ? true : undefined,
      'the runs by state',
      screen,
    );
    expect(screen()).toMatch(/recent runs, newest first/);
    await eventually(
      () => (/failed\s.*order \d+0 has no customer/.test(screen()) ? true : undefined),
      'a failed run among the recent ones',
      screen,
    );

    await press('4');
    const top = await eventually(
      () => /^› +(\d+)\s+process\s+score-order\/score/m.exec(screen())?.[1],
      'the failed messages',
      screen,
    );
    expect(screen()).toContain(`${FAILING} pending (process ${FAILING})`);
    await press('r');
    await eventually(
      () =>
        screen().includes(`Replay 1 failed message (${top}) through rules and processes?`) ? true : undefined,
      'the confirmation',
      screen,
    );
    await press('y');
    await eventually(
      () => (screen().includes('replayed 1 of 1 item') ? true : undefined),
      'the replay',
      screen,
    );
    await eventually(
      () => (screen().includes(`${FAILING - 1} pending (process ${FAILING - 1})`) ? true : undefined),
      'one message fewer',
      screen,
    );
    const store = await openSqliteStore({ path: db, readonly: true });
    try {
      expect((await store.failed.get(Number(top)))?.status).toBe('replayed');
    } finally {
      await store.close();
    }

    await press('q');
    await eventually(
      () => (screen().includes('agentctl') ? undefined : true),
      'the console to close',
      screen,
      5_000,
    );
  });

  it('consume --tui runs the agent under the console, then prints its summary', async () => {
    const { dir } = await givenAnAgentWithEvents();
    const { screen } = startTmux(dir, `node ${BIN} consume --tui --until-empty`);
    await eventually(
      () => (/^● orders@\S+\s+[A-Z]+ /m.test(screen()) ? true : undefined),
      'the live agent',
      screen,
    );
    expect(screen()).toMatch(/^\s+PARTITION\s+STATE\s+COMMITTED\s+LATEST\s+LAG/m);
    await eventually(() => (/stopped \(empty\)/.test(screen()) ? true : undefined), 'the summary', screen);
    expect(screen()).toMatch(new RegExp(`read ${EVENTS}, processed ${EVENTS}`));
  });

  it('refuses in one line, exit 2, when stdout is not a terminal', () => {
    const dir = tempDir('tui-e2e-');
    const result = agentctl(['tui'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'error: agentctl tui needs a terminal (stdin and stdout must be TTYs); in scripts use agentctl status --json',
    ]);
  });
});
