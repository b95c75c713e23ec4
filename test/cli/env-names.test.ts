import { describe, expect, it } from 'vitest';
import { applyDeprecatedEnv } from '../../src/cli/env-names.js';

describe('applyDeprecatedEnv', () => {
  it('Given an old name, Then its value moves to the new one with a warning naming it', () => {
    const env: NodeJS.ProcessEnv = { AGENTCTL_EVENT_ID: 'evt-1' };
    const warnings: string[] = [];

    applyDeprecatedEnv('publish', (w) => warnings.push(w), env);

    expect(env.AGENTCTL_ID).toBe('evt-1');
    expect(warnings).toEqual(['warning: AGENTCTL_EVENT_ID is deprecated and goes in 0.3.0: use AGENTCTL_ID']);
  });

  it('Given both names, Then the new one wins and the old one is said to be ignored', () => {
    const env: NodeJS.ProcessEnv = { AGENTCTL_WORKER_CONCURRENCY: '2', AGENTCTL_CONCURRENCY: '8' };
    const warnings: string[] = [];

    applyDeprecatedEnv('worker', (w) => warnings.push(w), env);

    expect(env.AGENTCTL_CONCURRENCY).toBe('8');
    expect(warnings[0]).toContain('AGENTCTL_WORKER_CONCURRENCY is deprecated and ignored');
  });

  it('Given an old name of another command, Then nothing moves (AGENTCTL_COPY_FROM is not consume --from)', () => {
    const env: NodeJS.ProcessEnv = { AGENTCTL_COPY_FROM: 'a.db' };

    applyDeprecatedEnv('consume', () => undefined, env);

    expect(env.AGENTCTL_FROM).toBeUndefined();
  });

  it('Given AGENTCTL_CONTENT_TYPE=json, Then AGENTCTL_JSON is set', () => {
    const env: NodeJS.ProcessEnv = { AGENTCTL_CONTENT_TYPE: 'json' };
    const warnings: string[] = [];

    applyDeprecatedEnv('status', (w) => warnings.push(w), env);

    expect(env.AGENTCTL_JSON).toBe('true');
    expect(warnings[0]).toContain('use AGENTCTL_JSON=true');
  });
});
