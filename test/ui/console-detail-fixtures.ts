import type { RunRecord } from '../../src/core/model/run-record.js';
import type { EditInEditorResult } from '../../src/core/ops/failed-edit/edit-in-editor.js';
import type { PeekedRecord } from '../../src/core/ops/peek/peek.js';
import type { RunDetail } from '../../src/core/ops/runs/run-detail.js';
import type { FailedMessage } from '../../src/core/store/records.js';
import { effort, NOW } from './console-fixtures.js';

/** A run as `runDetail` gives it: its steps with attempts (the second failed once), an effort, its event. */
export function runDetailOf(found: RunRecord): RunDetail {
  const steps = found.steps.map((step, n) => ({
    ...step,
    attempts: n + 1,
    history: Array.from({ length: n + 1 }, (_, a) => ({
      attempt: a + 1,
      startedAt: NOW - 9_000 + a * 100,
      durationMs: 40 + a,
      ...(a < n ? { error: `${step.name}: timeout after 2s` } : {}),
    })),
  }));
  const event = { specversion: '1.0', id: found.eventId, type: found.eventType, data: { n: 1 } };
  return {
    run: { ...found, steps },
    ledger: false,
    event: { stored: 'log', raw: new TextEncoder().encode(JSON.stringify(event)), event },
    efforts: [effort('e1', { runId: found.id })],
    parked: [],
  };
}

/** A record of `peek --around-checkpoint`: done, the first not done (`next`), or after that. */
export function peekedRecord(
  partition: string,
  offset: number,
  mark: 'done' | 'next' | 'after',
): PeekedRecord {
  const event = {
    specversion: '1.0',
    id: `evt-${offset}`,
    source: 'shop',
    type: 'order.created',
    data: { offset },
  };
  return {
    partition,
    position: String(offset),
    timestamp: NOW - 60_000 + offset,
    key: undefined,
    attributes: {},
    raw: new TextEncoder().encode(JSON.stringify(event)),
    event,
    done: mark === 'done',
    ...(mark === 'next' ? { next: true } : {}),
  };
}

/** What the console's `e` gets back from an edit of item `id` that changed one field. */
export function editedInConsole(id: number): EditInEditorResult {
  const item = { id, raw: Buffer.from('{}') } as unknown as FailedMessage;
  return {
    item,
    plan: { item, outcome: { ok: true, raw: Buffer.from('{"a":1}'), changed: true } },
    saved: true,
  };
}
