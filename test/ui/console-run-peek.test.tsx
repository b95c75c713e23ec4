import { describe, expect, it } from 'vitest';
import type { ConsoleView } from '../../src/core/console/data.js';
import { UsageError } from '../../src/core/errors/usage-error.js';
import { console80x24, runId } from './console-80x24.js';
import { line, run, sampleView } from './console-fixtures.js';

const footer = (frame: string) => frame.split('\n').at(-1) ?? '';

function withRuns(): ConsoleView {
  const view = sampleView();
  const recent = [
    run(runId(1), { state: 'failed', attempts: 3, error: 'step "score": no customer' }),
    run(runId(2), { state: 'running', currentStep: 'score' }),
  ];
  return { ...view, runs: { ...view.runs, recent } };
}

describe('Enter on a run (Processes pane)', () => {
  it('opens the run as runs show prints it: every step with every attempt, the efforts, the event; q closes it', async () => {
    const { frame, press, shows, source } = await console80x24(withRuns(), 'processes');
    expect(footer(frame())).toMatch(/^enter details {2}d drain/);
    const calls: [string, string | undefined][] = [];
    const read = source.runDetail.bind(source);
    source.runDetail = (id, eventId) => {
      calls.push([id, eventId]);
      return read(id);
    };
    await press('j', '\r');
    await shows(/^steps \(2\):$/m);
    expect(calls).toEqual([[runId(2), `evt-${runId(2)}`]]);
    expect(frame().split('\n')).toHaveLength(23);
    expect(line(frame(), /^run q7X/)).toMatch(
      new RegExp(`^run ${runId(2)} \\(agentctl runs show\\) +lines 1–17 of \\d+$`),
    );
    expect(frame()).toMatch(new RegExp(`^run: +${runId(2)}$`, 'm'));
    expect(frame()).toMatch(/^ {2}fetch {2}succeeded {2}1 attempt$/m);
    expect(frame()).toMatch(/^ {2}score {2}succeeded {2}2 attempts$/m);
    expect(frame()).toMatch(/^ {4}#1 .* failed: score: timeout after 2s$/m);
    expect(frame()).toMatch(/^ {4}#2 .* ok$/m);
    await press('G');
    await shows(/^publish efforts \(1\):$/m);
    expect(frame()).toMatch(/^ {2}e1 → amqp-results {2}pending {2}3 attempts/m);
    expect(frame()).toMatch(/^event \(from the local log/m);
    await press('q');
    await shows(new RegExp(`^› ${runId(2)} `, 'm'));
  });

  it('says so when the run left the store', async () => {
    const { press, shows, source } = await console80x24(withRuns(), 'processes');
    source.runDetail = async () => undefined;
    await press('\r');
    await shows(new RegExp(`run ${runId(1)} is no longer in the store`));
  });

  it('Enter where there is no detail view says where there is one, and that p peeks on a partition', async () => {
    const { press, shows } = await console80x24(sampleView(), 'partitions');
    await press('\r');
    await shows(/^Enter opens runs \(2\) and failed messages \(4\); here p peeks around the checkpoint$/m);
  });
});

describe('p on a partition (Partitions pane)', () => {
  it('opens the records around its checkpoint through the peek service: ✓ done, ▶ the first not done', async () => {
    const { frame, press, shows, source } = await console80x24(sampleView(), 'partitions');
    expect(footer(frame())).toMatch(/^p peek {2}space tag {2}c checkpoint {2}d drain/);
    await press('j', 'p');
    await shows(/^▶ 1 1002 /m);
    expect(source.peeks).toEqual([{ group: 'orders', sourceId: 'local:events', partition: '1' }]);
    expect(line(frame(), /^peek /)).toMatch(
      /^peek local:events partition 1 around its checkpoint +lines 1–\d+ of \d+$/,
    );
    expect(frame()).toMatch(/^checkpoint: +1001$/m);
    expect(frame()).toMatch(/^✓ 1 999 .* order\.created {2}\{"offset":999\}$/m);
    expect(frame()).toMatch(/^✓ 1 1001 /m);
    expect(frame()).toMatch(/^ {2}1 1003 /m);
    expect(frame()).not.toContain('PAUSED');
    await press('G');
    await shows(/agentctl peek local:events --around-checkpoint -B 3 -A 3 --partition 1 --agent/);
    await press('\u001B');
    await shows(/^› 1 /m);
  });

  it('peeks in a read-only console too (it changes nothing), and P pauses there', async () => {
    const { frame, press, shows, source } = await console80x24(sampleView(), 'partitions', true);
    expect(footer(frame())).toMatch(/^p peek {2}\/ filter .* P pause$/);
    await press('p');
    await shows(/^▶ 0 1001 /m);
    expect(source.peeks).toHaveLength(1);
    await press('q', 'P');
    await shows(/PAUSED/);
  });

  it('shows why a queue cannot be peeked, and p still pauses in the other panes', async () => {
    const { press, shows, source } = await console80x24(sampleView(), 'partitions');
    source.peekAround = () =>
      Promise.reject(
        new UsageError(
          'amqp:orders is a quorum queue: it cannot be read without taking its messages, and the console never takes them',
        ),
      );
    await press('p');
    await shows(/cannot read it: amqp:orders is a quorum queue: it cannot be read without taking/);
    await press('q', '2');
    await shows(/recent runs/);
    await press('p');
    await shows(/PAUSED/);
  });
});
