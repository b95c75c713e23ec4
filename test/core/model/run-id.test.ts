import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import {
  eventRuleDigest,
  legacyDigest,
  RUN_ID_LENGTH,
  runIdOf,
  runIdOfDigest,
} from '../../../src/core/model/run-id.js';

const event = (overrides: Partial<CloudEvent> = {}): CloudEvent => ({
  specversion: '1.0',
  id: 'e1',
  source: '/orders',
  type: 'order.paid',
  time: '2026-11-24T10:00:00.000Z',
  ...overrides,
});

describe('runIdOf', () => {
  it('is the same for the same group, event and rule, and differs by group, rule, id and source', () => {
    const id = runIdOf('billing', event(), 'bill');
    expect(runIdOf('billing', event(), 'bill')).toBe(id);
    expect(runIdOf('audit', event(), 'bill')).not.toBe(id);
    expect(runIdOf('billing', event(), 'ship')).not.toBe(id);
    expect(runIdOf('billing', event({ id: 'e2' }), 'bill')).not.toBe(id);
    expect(runIdOf('billing', event({ source: '/other' }), 'bill')).not.toBe(id);
  });

  it('ignores what a re-send may change: the time, the type, the payload', () => {
    const id = runIdOf('g', event(), 'r');
    expect(runIdOf('g', event({ time: '2027-01-01T00:00:00Z' }), 'r')).toBe(id);
    expect(runIdOf('g', event({ time: undefined }), 'r')).toBe(id);
    expect(runIdOf('g', event({ type: 'order.paid.v2', data: { n: 1 } }), 'r')).toBe(id);
  });

  it('is 27 base64url characters', () => {
    expect(runIdOf('g', event(), 'r')).toMatch(/^[A-Za-z0-9_-]{27}$/);
    expect(RUN_ID_LENGTH).toBe(27);
  });

  it('property: the new id of a schema-1 id (time prefix + digest) is the id of the same group, event and rule', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.string({ minLength: 1 }),
        (group, id, source, rule) => {
          const e = event({ id, source });
          const old = `0abcdefgh${eventRuleDigest(e, rule)}`;
          expect(runIdOfDigest(group, legacyDigest(old))).toBe(runIdOf(group, e, rule));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches the SQL form of the migrations: base64 of SHA-256 with +/ as -_, first 27 characters', () => {
    const digest = eventRuleDigest(event(), 'r');
    const sql = hash('sha256', `g\n${digest}`, 'base64').replace(/\+/g, '-').replace(/\//g, '_').slice(0, 27);
    expect(runIdOfDigest('g', digest)).toBe(sql);
  });
});
