import { describe, expect, it } from 'vitest';
import { cloudEventProblems } from '../../../../src/core/events/cloud-event-problems.js';
import { editChanges } from '../../../../src/core/ops/failed-edit/edit-diff.js';
import {
  editableText,
  outcomeOfPatch,
  outcomeOfText,
} from '../../../../src/core/ops/failed-edit/edit-text.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const EVENT = { specversion: '1.0', id: 'evt-1', source: '/shop', type: 'order.created', data: { n: 1 } };
const RAW = bytes(JSON.stringify(EVENT));

describe('cloudEventProblems', () => {
  it('Given a valid event, Then there is no problem', () => {
    expect(cloudEventProblems(EVENT)).toEqual([]);
  });

  it('Given an event wrong in many ways, Then every problem is listed', () => {
    const problems = cloudEventProblems({ id: '', source: 3, time: 'soon', data: 1, data_base64: 'AA==' });
    expect(problems).toEqual([
      '"specversion" is missing (required)',
      '"id" must be a non-empty string (got "")',
      '"source" must be a non-empty string (got 3)',
      '"type" is missing (required)',
      '"time" must be an RFC 3339 timestamp (got "soon")',
      '"data" and "data_base64" exclude each other: keep one',
    ]);
    expect(cloudEventProblems([1])).toEqual(['not a JSON object (got an array)']);
  });
});

describe('edit text', () => {
  it('Given an event, When opened and saved as it is, Then nothing changes', () => {
    const text = editableText(RAW, 'event')!;
    expect(text).toBe(`${JSON.stringify(EVENT, null, 2)}\n`);
    expect(outcomeOfText(text, 'event', RAW)).toMatchObject({ ok: true, changed: false });
    expect(outcomeOfText(editableText(RAW, 'raw')!, 'raw', RAW)).toMatchObject({ ok: true, changed: false });
  });

  it('Given an edit, Then the bytes are its compact JSON and the event id and type follow it', () => {
    const outcome = outcomeOfText(
      JSON.stringify({ ...EVENT, id: 'evt-9', type: 'order.fixed' }),
      'event',
      RAW,
    );
    expect(outcome).toMatchObject({ ok: true, changed: true, eventId: 'evt-9', eventType: 'order.fixed' });
  });

  it('Given bytes that are not JSON, Then they open only as raw text', () => {
    expect(editableText(bytes('not json'), 'event')).toBeUndefined();
    expect(editableText(bytes('not json'), 'raw')).toBe('not json\n');
    expect(editableText(new Uint8Array([0xff, 0xfe]), 'raw')).toBeUndefined();
  });

  it('Given a patch that breaks the event, Then it is refused with its problems', () => {
    expect(outcomeOfPatch({ type: null }, RAW)).toEqual({
      ok: false,
      problems: ['"type" is missing (required)'],
    });
    expect(outcomeOfPatch({ data: { n: 2 } }, RAW)).toMatchObject({ ok: true, changed: true });
  });

  it('Given two payloads, Then the changes are listed path by path', () => {
    const after = bytes(JSON.stringify({ ...EVENT, data: { n: 2, note: 'x' }, source: undefined }));
    expect(editChanges(RAW, after)).toEqual([
      { path: 'source', before: '"/shop"' },
      { path: 'data.n', before: '1', after: '2' },
      { path: 'data.note', after: '"x"' },
    ]);
    expect(editChanges(bytes('a'), bytes('b'))).toEqual([{ path: '', before: '"a"', after: '"b"' }]);
  });
});
