import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { PartitionsPane, type PartitionsPaneProps } from '../../src/ui/console/components/PartitionsPane.js';
import { partition } from './console-fixtures.js';

const lines = (frame: string | undefined) => (frame ?? '').split('\n');
const rowOf = (frame: string | undefined, name: string) =>
  lines(frame).find((l) => new RegExp(`^..${name}\\s`).test(l)) ?? '';

/** Renders the pane with the props of most tests, overridden by `props`. */
function renderPartitionsPane(props: Partial<PartitionsPaneProps>) {
  return render(
    <PartitionsPane
      {...{
        rows: [],
        cursor: { index: 0, top: 0 },
        tags: new Set(),
        filter: '',
        focused: true,
        height: 6,
        width: 140,
        ...props,
      }}
    />,
  );
}
describe('PartitionsPane', () => {
  it('shows committed, latest and lag per partition, the owner and a lag trend', () => {
    const rows = [
      partition(0),
      partition(1, { lagRecords: 0, committed: '1502', latest: '1502', lagHistory: [3, 2, 0] }),
    ];
    const { lastFrame } = renderPartitionsPane({ rows, height: 8 });
    expect(lastFrame()).toContain('2 partitions  ·  orders local:events  ·  lag 500');
    expect(lastFrame()).toMatch(/PARTITION\s+STATE\s+COMMITTED\s+LATEST\s+LAG\s+OWNER\s+LAG TREND/);
    expect(rowOf(lastFrame(), '0')).toMatch(/0\s+reading\s+1000\s+1500\s+500\s+orders@host-1#4242\s+█▇▅/);
    expect(rowOf(lastFrame(), '1')).toMatch(/1\s+reading\s+1502\s+1502\s+0\s+orders@host-1#4242\s+█▆▁/);
    expect(lines(lastFrame())).toHaveLength(8);
  });

  it('shows a STALLED partition with how long, the position and the run step and attempt it waits on', () => {
    const stall = {
      reason: 'no-progress' as const,
      since: 0,
      forMs: 75_000,
      position: '1000',
      waitingOn: '1001',
      run: {
        id: 'r1',
        process: 'billing',
        rule: 'bill',
        step: 'charge',
        stepAttempts: 3,
        attempts: 3,
        startedAt: 0,
      },
    };
    const rows = [partition(0, { stall }), partition(1)];
    const { lastFrame } = renderPartitionsPane({ rows, height: 8 });
    expect(lastFrame()).toMatch(/STATE\s+COMMITTED.*STALLED ON/);
    expect(rowOf(lastFrame(), '0')).toMatch(/0\s+STALLED 1m15s\s+1000\s+1500.*1001 · charge #3/);
    expect(rowOf(lastFrame(), '1')).toMatch(/1\s+reading\s+\d+/);
  });

  it('shows MillisBehindLatest for Kinesis shards and ready/unacked/consumers for queues', () => {
    const rows = [
      partition(0, { partition: 'shardId-000000000000', lagRecords: undefined, lagMs: 93_000 }),
      partition(1, {
        partition: 'orders-queue',
        state: 'paused',
        lagRecords: undefined,
        committed: undefined,
        latest: undefined,
        depth: { ready: 12_345, unacked: 40, consumers: 3 },
      }),
    ];
    const { lastFrame } = renderPartitionsPane({ rows, width: 160 });
    expect(lastFrame()).toMatch(/BEHIND\s+READY\s+UNACKED\s+CONSUMERS/);
    expect(rowOf(lastFrame(), 'shardId-000000000000')).toMatch(/1m33s/);
    expect(rowOf(lastFrame(), 'orders-queue')).toMatch(/paused.*12\.3k\s+40\s+3/);
  });

  it('marks tagged rows, says what the filter is, and scrolls from the cursor’s top row', () => {
    const rows = Array.from({ length: 20 }, (_, n) => partition(n));
    const { lastFrame } = renderPartitionsPane({
      rows,
      cursor: { index: 12, top: 10 },
      tags: new Set([rows[11]!.key]),
      filter: 'read',
    });
    const frame = lines(lastFrame());
    expect(frame[0]).toContain('filter "read"  ·  1 tagged');
    expect(frame[2]).toMatch(/^ {2}10 /);
    expect(frame[3]).toMatch(/^● 11 /);
    expect(frame[4]).toMatch(/^› 12 /);
    expect(frame).toHaveLength(6);
  });

  it('says when no partition is known', () => {
    const { lastFrame } = renderPartitionsPane({ height: 4, width: 100 });
    expect(lastFrame()).toContain('no partition known yet');
  });
});
