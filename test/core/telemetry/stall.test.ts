import { describe, expect, it } from 'vitest';
import type { PartitionStatus } from '../../../src/core/model/partition-status.js';
import { type RunInFlight, stallOf, stallSettings } from '../../../src/core/telemetry/stall.js';

const T0 = 1_000_000;
const settings = stallSettings({ stallAfterMs: 60_000, stuckStepMs: 30_000 });

function partition(overrides: Partial<PartitionStatus> = {}): PartitionStatus {
  return {
    partition: '0',
    state: 'reading',
    committed: '10',
    latest: '15',
    lagRecords: 5,
    progressAt: T0,
    ...overrides,
  };
}

function run(overrides: Partial<RunInFlight> = {}): RunInFlight {
  return {
    id: 'r1',
    process: 'p',
    rule: 'r',
    step: 'charge',
    stepAttempts: 2,
    attempts: 2,
    startedAt: T0,
    stepSince: T0,
    partition: '0',
    position: '11',
    ...overrides,
  };
}

describe('stallOf', () => {
  it('Given a partition behind whose checkpoint has not moved for stallAfterMs, Then it is STALLED since then, at its checkpoint, with the run it waits on', () => {
    const stall = stallOf(partition({ oldestPending: '11' }), [run()], settings, T0 + 60_000);
    expect(stall).toEqual({
      reason: 'no-progress',
      since: T0,
      forMs: 60_000,
      position: '10',
      waitingOn: '11',
      run: run(),
    });
  });

  it('Given the same partition just under stallAfterMs, or caught up, or not read by this agent, Then it is not stalled', () => {
    expect(stallOf(partition(), [], settings, T0 + 29_999)).toBeUndefined();
    expect(stallOf(partition({ lagRecords: 0, latest: '10' }), [], settings, T0 + 600_000)).toBeUndefined();
    expect(stallOf(partition({ progressAt: undefined }), [], settings, T0 + 600_000)).toBeUndefined();
  });

  it('Given a step running past stuckStepMs (or its own timeout), Then the partition is STALLED as stuck-step before stallAfterMs', () => {
    expect(stallOf(partition(), [run()], settings, T0 + 30_001)).toMatchObject({
      reason: 'stuck-step',
      since: T0,
      run: { step: 'charge', stepAttempts: 2 },
    });
    expect(stallOf(partition(), [run({ stepTimeoutMs: 5_000 })], settings, T0 + 5_001)?.reason).toBe(
      'stuck-step',
    );
    expect(stallOf(partition(), [run({ partition: '1' })], settings, T0 + 30_001)).toBeUndefined();
  });

  it('Given no stuckStepMs, Then a step is stuck after stallAfterMs (the default 60 s)', () => {
    expect(stallSettings({})).toEqual({ stallAfterMs: 60_000, stuckStepMs: 60_000 });
    expect(stallSettings({ stallAfterMs: 1_500 })).toEqual({ stallAfterMs: 1_500, stuckStepMs: 1_500 });
  });
});
