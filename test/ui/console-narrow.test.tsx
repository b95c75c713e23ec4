import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { console80x24, runId } from './console-80x24.js';
import { agent, line, NOW, run, sampleView, until } from './console-fixtures.js';

const tabBar = (frame: string) => line(frame, /1 Partitions/);

describe('the console at 80×24', () => {
  it('Failed pane: keeps ID, reason, attempts and error (partition and event go first) and every tab', async () => {
    const { frame } = await console80x24(sampleView(), 'failed');
    expect(frame().split('\n')).toHaveLength(23);
    expect(tabBar(frame())).toMatch(/1 Partitions .*│ +2 Processes .*│ +3 Retries .*│ +4 Failed/);
    expect(line(frame(), /^ +ID /)).toMatch(/^ {2}ID {2}REASON {3}WHERE +ATTEMPTS {2}AGE +ERROR$/);
    expect(line(frame(), /^› 13 /)).toMatch(
      /^› 13 {2}process {2}score-order\/score +3 {2}1m40s ago {2}step "score": order 13/,
    );
    expect(frame()).not.toContain('PARTITION');
    expect(frame().split('\n').at(-1)).toMatch(
      /^enter details {2}space tag {2}r replay {2}o redrive {2}e edit {2}D discard/,
    );
  });

  it('Processes pane: shows run ids whole, with state, attempts and error', async () => {
    const view = sampleView();
    const recent = [
      run(runId(1), { state: 'failed', attempts: 3, error: 'step "score": no customer' }),
      run(runId(2), { state: 'running', currentStep: 'score' }),
    ];
    const { frame } = await console80x24({ ...view, runs: { ...view.runs, recent } }, 'processes');
    expect(frame().split('\n')).toHaveLength(23);
    expect(tabBar(frame())).toContain('4 Failed');
    expect(line(frame(), /^ +RUN /)).toMatch(/RUN +STATE +STEP +ATTEMPTS +ERROR$/);
    expect(line(frame(), /^› /)).toMatch(
      new RegExp(`^› ${runId(1)} {2}failed +- +3 {2}step "score": no custom…$`),
    );
  });

  it('Header: agents that ended more than an hour ago collapse into one line; the frame keeps its height', async () => {
    const ended = (n: number, agoMs: number) =>
      agent({ id: `orders@old-${n}#${n}`, alive: false, state: 'SHUTDOWN', heartbeatAt: NOW - agoMs });
    const agents = [
      agent(),
      ended(0, 5 * 60_000),
      ...Array.from({ length: 12 }, (_, n) => ended(n + 1, 26 * 3_600_000)),
    ];
    const { frame } = await console80x24(sampleView({ agents }), 'failed');
    const lines = frame().split('\n');
    expect(lines).toHaveLength(23);
    expect(lines[1]).toMatch(/^● orders@host-1#4242/);
    expect(lines[2]).toMatch(/^○ orders@old-0#0 +SHUTDOWN/);
    expect(lines[3]).toBe('12 agents ended more than an hour ago');
    expect(lines[4]).toMatch(/1 Partitions/);
    expect(frame()).not.toContain('old-1#1');
    expect(line(frame(), /^› 13 /)).not.toBe('');
  });

  it('Help: keys and descriptions in two aligned columns, long descriptions continuing in theirs; it scrolls', async () => {
    const { press, shows } = await console80x24(sampleView(), 'failed');
    await press('?');
    const rows = (await shows(/^keys /m)).split('\n');
    const at = rows.findIndex((r) => r.startsWith('keys '));
    expect(rows[at]).toMatch(/^keys +lines 1–\d+ of \d+$/);
    const column = rows[at + 1]!.indexOf('next / previous pane');
    const bindings = rows.slice(at + 1, rows.length - 2).filter((r) => r.trim() !== '');
    expect(bindings.length).toBeGreaterThan(10);
    for (const row of bindings) {
      expect(row.slice(0, column).trimEnd().length, row).toBeLessThan(column - 1);
      expect(row[column], row).not.toBe(' ');
    }
    expect(bindings.some((r) => r.startsWith(' '.repeat(column)))).toBe(true);
    await press('G');
    await shows(/destructive actions ask for y before they run/);
    await press('x');
    await shows(/^› 13 /m);
  });
});

describe('the detail view at 80×24', () => {
  it('Enter opens the selected failed message as failed show prints it: every field, history, the event in full; it scrolls and q closes it', async () => {
    const { frame, press, shows, source } = await console80x24(sampleView(), 'failed');
    const calls: number[] = [];
    const read = source.failedItem.bind(source);
    source.failedItem = (id) => {
      calls.push(id);
      return read(id);
    };
    await press('j', '\r');
    await until(() => frame().includes('history (2):'), 'the detail');
    expect(calls).toEqual([12]);
    const lines = frame().split('\n');
    expect(lines).toHaveLength(23);
    expect(tabBar(frame())).toContain('4 Failed');
    const [, shown, all] = /lines 1–(\d+) of (\d+)$/.exec(line(frame(), /^failed message 12/)) ?? [];
    const visible = Number(shown);
    const total = Number(all);
    expect(visible).toBe(17);
    expect(total).toBeGreaterThan(100);
    expect(frame()).toMatch(/^error: +step "score": order 12 has no customer$/m);
    const position = () => line(frame(), /^failed message 12/).replace(/^.* {2}lines /, '');
    const scrolledTo = (where: string) =>
      until(() => position() === where, `lines ${where}, not ${position()}`);
    await press('G');
    await scrolledTo(`${total - visible + 1}–${total} of ${total}`);
    expect(frame()).toMatch(/ {4}\]\n {2}\}\n\}\n/);
    await press('\u001B[5~', 'k');
    await scrolledTo(`${total - 2 * visible + 1}–${total - visible} of ${total}`);
    await press('g', 'j', ' ');
    await scrolledTo(`${visible + 1}–${2 * visible} of ${total}`);
    expect(frame()).toContain('"type": "order.created",');
    await press('q');
    await shows(/^› 12 /m);
  });

  it('says what to do where Enter opens nothing, and when the item left the store', async () => {
    const { frame, press, shows } = await console80x24(sampleView(), 'partitions');
    expect(frame().split('\n').at(-1)).toMatch(/^p peek {2}space tag {2}c checkpoint/);
    await press('\r');
    await shows(/Enter opens runs \(2\) and failed messages \(4\); here p peeks around the checkpoint/);
    const gone = sampleView();
    const app = await console80x24(gone, 'failed');
    app.source.failedItem = async () => undefined;
    await app.press('\r');
    await until(() => app.frame().includes('failed message 13 is no longer in the store'), 'the notice');
    await app.press('\u001B');
    await app.shows(/^› 13 /m);
  });

  it('drops lines read for a view the operator has left: closed, or moved on to another item', async () => {
    const { frame, press, shows, source } = await console80x24(sampleView(), 'failed');
    const read = source.failedItem.bind(source);
    const slow = new Map<number, () => void>();
    source.failedItem = (id) =>
      id === 13
        ? new Promise((resolve) => {
            slow.set(id, () => resolve(undefined));
          })
        : read(id);
    await press('\r');
    await shows(/^failed message 13.*loading…$/m);
    await press('q');
    await shows(/^› 13 /m);
    await press('j', '\r');
    await shows(/^history \(2\):$/m);
    slow.get(13)?.();
    await delay(100);
    expect(frame()).not.toContain('no longer in the store');
    expect(line(frame(), /^failed message 12/)).not.toBe('');
    await press('q');
    await shows(/^› 12 /m);
  });
});
