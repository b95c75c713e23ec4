import { describe, expect, it } from 'vitest';
import { renderInitialStarts } from '../../../src/ui/text/consume.js';

describe('renderInitialStarts', () => {
  it('Given partitions without a checkpoint in the store, Then it names them and where they started', () => {
    expect(
      renderInitialStarts({
        '0': { start: { kind: 'earliest' }, initial: true },
        '1': { start: { kind: 'after', position: '9' }, initial: false },
      }),
    ).toBe('no checkpoint for 0 (earliest): started from the initial position');
  });

  it('Given a queue whose position the broker keeps, Then it says so and mentions no checkpoint', () => {
    const text = renderInitialStarts({ orders: { start: { kind: 'earliest' }, initial: false } }, 'broker');
    expect(text).toBe(
      'reading orders: the broker keeps the position (acked messages are gone, unacked ones are delivered again)',
    );
  });
});
