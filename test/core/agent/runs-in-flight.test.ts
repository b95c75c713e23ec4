import { describe, expect, it } from 'vitest';
import { RunsInFlight } from '../../../src/core/agent/runs-in-flight.js';
import type { RunRecord } from '../../../src/core/model/run-record.js';
import { defineProcess, ProcessRegistry } from '../../../src/core/processes/process.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';

/** A run record as the executor emits it (one object, updated in place). */
function run(id: string, startedAt: number): RunRecord {
  return {
    id,
    group: 'g',
    eventId: `evt-${id}`,
    eventType: 't',
    rule: 'r',
    process: 'p',
    state: 'pending',
    attempts: 0,
    steps: [],
    createdAt: startedAt,
    updatedAt: startedAt,
    runner: 'inline',
  };
}

function inFlight(): {
  telemetry: Telemetry;
  runs: RunsInFlight;
  emit: (r: RunRecord, state: string) => void;
} {
  const telemetry = new Telemetry();
  const processes = new ProcessRegistry([defineProcess({ name: 'p', steps: [{ name: 's', run: () => 1 }] })]);
  const runs = new RunsInFlight(telemetry, processes);
  const emit = (r: RunRecord, state: string): void => {
    (r as { state: string }).state = state;
    telemetry.emit('run', { run: r });
  };
  return { telemetry, runs, emit };
}

const ids = (runs: RunsInFlight): string[] => runs.list().map((r) => r.id);

describe('RunsInFlight: the runs a status snapshot shows as executing', () => {
  it('Given runs that start and end one after another, When listed, Then only the one still running shows', () => {
    // Given three runs executed in turn, the last one still running
    const { runs, emit } = inFlight();
    const [a, b, c] = [run('a', 1), run('b', 2), run('c', 3)];
    emit(a, 'running');
    emit(a, 'succeeded');
    emit(b, 'running');
    emit(b, 'failed');
    emit(c, 'running');

    // When listed, Then only c shows; once it ends, nothing does
    expect(ids(runs)).toEqual(['c']);
    emit(c, 'succeeded');
    expect(ids(runs)).toEqual([]);
  });

  it('Given runs that overlap, When they end in any order, Then each shows until it ends, oldest first', () => {
    // Given three runs started before any ends
    const { runs, emit } = inFlight();
    const [a, b, c] = [run('a', 1), run('b', 2), run('c', 3)];
    emit(a, 'running');
    emit(b, 'running');
    emit(c, 'running');
    expect(ids(runs)).toEqual(['a', 'b', 'c']);

    // When the last started ends first, then the first, Then the others stay until they end
    emit(c, 'succeeded');
    expect(ids(runs)).toEqual(['a', 'b']);
    emit(a, 'pending');
    expect(ids(runs)).toEqual(['b']);
    emit(b, 'succeeded');
    expect(ids(runs)).toEqual([]);
  });

  it('Given a run started again under the same id, When listed, Then it shows once, as its latest record, and its end removes it', () => {
    // Given run a started, another started after it, then a started again with a new record
    const { runs, emit } = inFlight();
    const [a, b, again] = [run('a', 1), run('b', 2), run('a', 5)];
    emit(a, 'running');
    emit(b, 'running');
    emit(again, 'running');

    // When listed, Then a shows once (its latest record's start), and ends with either record
    expect(runs.list().map((r) => [r.id, r.startedAt])).toEqual([
      ['b', 2],
      ['a', 5],
    ]);
    emit(a, 'succeeded');
    expect(ids(runs)).toEqual(['b']);
    emit(b, 'succeeded');
    expect(ids(runs)).toEqual([]);
  });
});
