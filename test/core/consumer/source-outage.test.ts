import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { SourceOutage } from '../../../src/core/consumer/source-outage.js';
import { TransientError } from '../../../src/core/errors/transient-error.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import type { Source } from '../../../src/core/sources/source.js';
import { ProcessingState } from '../../../src/core/state/processing-state.js';
import { Telemetry } from '../../../src/core/telemetry/telemetry.js';

function setup(source: Source = new MemorySource()) {
  const clock = new FakeClock();
  const telemetry = new Telemetry();
  const warnings: string[] = [];
  telemetry.on('warning', (w) => warnings.push(w.message));
  const state = new ProcessingState(() => clock.now());
  state.set('ACTIVE');
  const outage = new SourceOutage({ source, clock, telemetry, state });
  return { clock, outage, state, warnings };
}

describe('SourceOutage', () => {
  it('Given polls that keep failing, Then the processor is OFFLINE with the redacted reason, and waits longer each time up to 10 s', async () => {
    const { outage, state, warnings } = setup();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++)
      delays.push(outage.failed(new TransientError('amqp://guest:secret@broker refused')));
    expect(state.value).toBe('OFFLINE');
    expect(outage.offline).toBe(true);
    expect(outage.error).not.toContain('secret');
    expect(warnings).toHaveLength(12);
    expect(delays[1]!).toBeGreaterThan(delays[0]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(10_000);
    expect(delays.at(-1)!).toBeGreaterThan(8_000);
  });

  it('Given an outage, When the source answers again, Then it goes back to the state it is given, says so once, and clears the error', async () => {
    const { clock, outage, state, warnings } = setup();
    outage.failed(new TransientError('throttled'));
    await clock.advance(250);
    outage.check('STEADY');
    expect(state.value).toBe('STEADY');
    expect(outage.offline).toBe(false);
    expect(outage.error).toBeUndefined();
    expect(warnings.at(-1)).toBe('source memory:events is reachable again after 250 ms: STEADY');
    outage.check('STEADY');
    expect(warnings).toHaveLength(2);
  });

  it('Given a source that says it is cut off, Then OFFLINE with one warning until it is connected again', async () => {
    const link = { connected: false, error: 'socket closed' };
    const source = Object.assign(new MemorySource(), { connectivity: () => link });
    const { outage, state, warnings } = setup(source);
    outage.check('ACTIVE');
    outage.check('ACTIVE');
    expect(state.value).toBe('OFFLINE');
    expect(outage.error).toBe('socket closed');
    expect(warnings).toEqual([
      'source memory:events is unreachable (socket closed): OFFLINE, reconnecting by itself',
    ]);
    link.connected = true;
    outage.check('IDLE');
    expect(state.value).toBe('IDLE');
    expect(warnings).toHaveLength(2);
  });
});
