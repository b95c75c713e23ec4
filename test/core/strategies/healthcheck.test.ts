import { existsSync, mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import { Healthcheck } from '../../../src/core/strategies/healthcheck.js';
import { Collect } from '../../support/collect.js';
import { nth } from '../../support/messages.js';
import { strategyBehaviour } from './strategy-behaviour.js';

/** A fresh temp directory, removed when the running test finishes. */
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'agentctl-tests', 'healthcheck-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

strategyBehaviour(
  'Healthcheck',
  (next, ctx) => new Healthcheck<number>({ path: join(freshDir(), 'healthy'), clock: ctx.clock }, next),
  nth,
);

function setup(intervalMs = 1_000) {
  const path = join(freshDir(), 'healthy');
  const clock = new FakeClock(1_700_000_000_000);
  const next = new Collect<number>();
  const healthcheck = new Healthcheck<number>({ path, intervalMs, clock }, next);
  return { path, clock, next, healthcheck };
}

describe('Healthcheck', () => {
  it('given no file, when first polled, then the file is created with the clock as its modification time', () => {
    const { path, clock, healthcheck } = setup();
    expect(existsSync(path)).toBe(false);
    healthcheck.poll();
    expect(statSync(path).mtimeMs).toBe(clock.now());
  });

  it('given a recent touch, when polled within the interval, then the file is left alone, and touched again after it', async () => {
    const { path, clock, healthcheck } = setup(1_000);
    healthcheck.poll();
    const old = new Date(1_000_000);
    utimesSync(path, old, old);
    await clock.advance(999);
    healthcheck.poll();
    expect(statSync(path).mtimeMs).toBe(old.getTime());
    await clock.advance(1);
    healthcheck.poll();
    expect(statSync(path).mtimeMs).toBe(clock.now());
  });

  it('when messages are submitted, then they are forwarded as they are', () => {
    const { next, healthcheck } = setup();
    const input = nth(0);
    healthcheck.submit(input);
    expect(next.messages[0]).toBe(input);
  });

  it('given a directory that does not exist, when polled, then the file system error surfaces', () => {
    const next = new Collect<number>();
    const healthcheck = new Healthcheck<number>({ path: join(freshDir(), 'missing', 'healthy') }, next);
    expect(() => healthcheck.poll()).toThrow(/ENOENT/);
  });
});
