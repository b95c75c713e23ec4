import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import { runIdOf } from '../../../src/core/processes/run-id.js';

const event = (overrides: Partial<CloudEvent> = {}): CloudEvent => ({
  specversion: '1.0',
  id: 'e1',
  source: '/orders',
  type: 'order.paid',
  time: '2026-11-24T10:00:00.000Z',
  ...overrides,
});

describe('runIdOf', () => {
  it('is the same for the same event and rule, and differs by rule, id and source', () => {
    const id = runIdOf(event(), 'bill');
    expect(runIdOf(event(), 'bill')).toBe(id);
    expect(runIdOf(event(), 'ship')).not.toBe(id);
    expect(runIdOf(event({ id: 'e2' }), 'bill')).not.toBe(id);
    expect(runIdOf(event({ source: '/other' }), 'bill')).not.toBe(id);
  });

  it('is ASCII and starts with the event time, so ids of a stream sort by time', () => {
    const early = runIdOf(event({ time: '2026-11-24T10:00:00.000Z' }), 'r');
    const late = runIdOf(event({ id: 'e0', time: '2026-11-24T10:00:01.000Z' }), 'r');
    expect(early < late).toBe(true);
    expect(early).toMatch(/^[0-9a-z]{9}[A-Za-z0-9_-]+$/);
  });

  it('gives events without a usable time an all-zero prefix', () => {
    expect(runIdOf(event({ time: undefined }), 'r').slice(0, 9)).toBe('000000000');
    expect(runIdOf(event({ time: 'yesterday' }), 'r').slice(0, 9)).toBe('000000000');
  });

  it('property: the fast time parse agrees with Date.parse for every UTC timestamp form', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1971-01-01T00:00:00Z'),
          max: new Date('2999-12-31T23:59:59Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(0, 1, 2, 3, 6, 9),
        (date, digits) => {
          const iso = date.toISOString();
          const base = iso.slice(0, 19);
          const fraction = digits === 0 ? '' : `.${(`${iso.slice(20, 23)}000000`).slice(0, digits)}`;
          const time = `${base}${fraction}Z`;
          const expected = Date.parse(time).toString(36).padStart(9, '0');
          expect(runIdOf(event({ time }), 'r').slice(0, 9)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
