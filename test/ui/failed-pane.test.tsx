import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { FailedPane } from '../../src/ui/console/components/FailedPane.js';
import { failedRow, line, NOW } from './console-fixtures.js';

describe('FailedPane', () => {
  it('lists parked messages newest first with reason, error, attempts and age, and the selected one’s details', () => {
    const rows = [
      failedRow(10_000),
      failedRow(9_999, { reason: 'decode', rule: undefined, process: undefined, error: 'not JSON' }),
    ];
    const { lastFrame } = render(
      <FailedPane
        rows={rows}
        top={0}
        total={10_000}
        capped={false}
        byReason={{ process: 9_000, decode: 1_000 }}
        cursor={{ index: 0, top: 0 }}
        tags={new Set(['9999'])}
        filter=""
        focused
        height={14}
        width={100}
        now={NOW}
      />,
    );
    expect(lastFrame()).toContain(
      '10,000 pending (process 9,000, decode 1,000)  ·  newest first  ·  row 1 of 10,000  ·  1 tagged',
    );
    expect(line(lastFrame(), /^› 10000 /)).toMatch(
      /10000\s+process\s+score-order\/score\s+order\.created\s+3@10400\s+3\s+1m40s ago\s+step "score": o…$/,
    );
    expect(lastFrame()).toContain('error: step "score": order 10000 has no customer');
    expect(line(lastFrame(), /^● {2}9999 /)).toMatch(
      /decode\s+-\s+order\.created\s+3@10399\s+3\s+1m40s ago\s+not JSON/,
    );
    expect(lastFrame()).toContain(
      '#10000 process · score-order/score · order.created evt-10000 · local:events 3@10400',
    );
    expect(lastFrame()).toContain('payload: {"id":"evt-10000","data":{"n":10000}}');
    expect((lastFrame() ?? '').split('\n')).toHaveLength(14);
  });

  it('shows control characters of event and error text escaped, in the list and the details', () => {
    const evil = 'order\u001b[2J\u202ecreated';
    const rows = [failedRow(1, { eventType: evil, error: `bad ${evil}`, preview: `{"type":"${evil}"}` })];
    const { lastFrame } = render(
      <FailedPane
        rows={rows}
        top={0}
        total={1}
        capped={false}
        byReason={{ process: 1 }}
        cursor={{ index: 0, top: 0 }}
        tags={new Set()}
        filter=""
        focused
        height={10}
        width={160}
        now={NOW}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).not.toContain('\u202e');
    expect(frame).not.toContain('\u001b[2J');
    expect(frame).toContain('error: bad order\\x1b[2J\\u202ecreated');
    expect(frame).toContain('payload: {"type":"order\\x1b[2J\\u202ecreated"}');
  });

  it('shows the window of a deep page at its place, and a capped search', () => {
    const rows = [failedRow(40), failedRow(39), failedRow(38)];
    const { lastFrame } = render(
      <FailedPane
        rows={rows}
        top={5_000}
        total={2_345}
        capped
        byReason={{}}
        cursor={{ index: 5_001, top: 5_000 }}
        tags={new Set()}
        filter="customer"
        focused
        height={12}
        width={100}
        now={NOW}
      />,
    );
    expect(lastFrame()).toContain('2,345 matches for "customer" (the first 5,003 listed)');
    const frame = (lastFrame() ?? '').split('\n');
    expect(frame[2]).toMatch(/^ {2}40 /);
    expect(frame[3]).toMatch(/^› 39 /);
  });
});
