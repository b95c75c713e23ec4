import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import type { RunDetail } from '../../../src/core/ops/runs/run-detail.js';
import { renderRunsTable, runDetailLines } from '../../../src/ui/text/runs.js';

const NOW = Date.UTC(2026, 11, 5, 3, 0, 0);

function aRun(fields: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'Co3jUid_ykYaOEsZ_N1yHlpZpTc',
    group: 'orders',
    eventId: 'evt-1',
    eventType: 'order.created',
    rule: 'ship-order',
    process: 'ship',
    state: 'succeeded',
    attempts: 0,
    steps: [],
    createdAt: NOW - 60_000,
    startedAt: NOW - 60_000,
    finishedAt: NOW - 59_000,
    runner: 'inline',
    updatedAt: NOW - 59_000,
    ...fields,
  };
}

describe('runs text', () => {
  it('lists runs with whole ids, a fatal failure marked, and a hint when the limit is reached', () => {
    const run = aRun({ state: 'failed', fatal: true, currentStep: 'charge', error: 'card\nstolen' });

    const text = renderRunsTable([run], 1, NOW);

    expect(text.split('\n')[1]).toMatch(
      /^Co3jUid_ykYaOEsZ_N1yHlpZpTc\s+failed \(fatal\)\s+ship-order\/ship\s+charge\s+0\s+order\.created\/evt-1\s+59s ago\s+card stolen$/,
    );
    expect(text).toContain('(newest 1 shown: raise --limit for more)');
  });

  it('says a ledger entry keeps no steps, and why the event is not at hand', () => {
    const detail: RunDetail = {
      run: aRun(),
      ledger: true,
      event: { stored: 'none', why: 'agentctl keeps the events of kinesis:orders only when they are parked' },
      efforts: [],
      parked: [],
    };

    const lines = runDetailLines(detail, NOW);

    expect(lines).toContain('steps (0):');
    expect(lines).toContain(
      '  (none kept: the run is stored as a compact ledger entry, a plain success without step detail)',
    );
    expect(lines.slice(-2)).toEqual([
      'event: not stored',
      '  agentctl keeps the events of kinesis:orders only when they are parked',
    ]);
    expect(lines).toContain('finished: 2026-12-05 02:59:01Z (took 1.0s)');
  });
});
