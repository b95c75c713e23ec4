import { describe, expect, it } from 'vitest';
import { Agent } from '../../../src/core/agent/agent.js';
import { SourceUnavailableError } from '../../../src/core/errors/source-unavailable-error.js';
import { ProcessRegistry } from '../../../src/core/processes/process.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import { MemorySource } from '../../../src/core/sources/memory-source.js';
import type { ProcessingStateName } from '../../../src/core/state/processing-state.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { AgentMetrics } from '../../../src/core/telemetry/agent-metrics.js';
import { startMetricsServer } from '../../../src/core/telemetry/metrics-server.js';
import { countingProcess, submissionEvent } from './fixtures.js';

/** A memory source whose polls fail while `down` is set, as a broker connection would. */
class FlakySource extends MemorySource {
  down = false;
  override async poll(max: number, signal?: AbortSignal) {
    if (this.down) throw new SourceUnavailableError('connection reset by broker');
    return super.poll(max, signal);
  }
}

/**
 * A memory source that, like the AMQP sources, reconnects by itself: while `down` is set its polls just
 * wait and find nothing, and only `connectivity()` tells.
 */
class ReconnectingSource extends MemorySource {
  down = false;
  override async poll(max: number, signal?: AbortSignal) {
    if (!this.down) return super.poll(max, signal);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { messages: [], ended: [], caughtUp: false };
  }
  connectivity() {
    return this.down
      ? { connected: false, error: 'connection to amqp://ops:s3cret@mq:5672 lost: ECONNRESET' }
      : { connected: true };
  }
}

describe('Agent when its source goes away', () => {
  it('Given a source that reconnects by itself, When its connection is lost and comes back, Then the agent is OFFLINE with one warning and the redacted reason meanwhile, and says when it is back', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const source = new ReconnectingSource({ idleMs: 5 });
    source.append(Array.from({ length: 20 }, (_, i) => JSON.stringify(submissionEvent(i))));
    const counts = new Map<string, number>();
    const agent = new Agent({
      name: 'reconnecting',
      store,
      source,
      rules: new RuleSet([rule({ name: 'r', on: 'submission.created', process: 'p' })]),
      processes: new ProcessRegistry([countingProcess('p', counts)]),
      consumer: { heartbeatMs: 20 },
    });
    const warnings: string[] = [];
    agent.telemetry.on('warning', (w) => warnings.push(w.message));
    const running = agent.run();
    await expect.poll(() => counts.size, { timeout: 5_000 }).toBe(20);

    const cutAt = Date.now();
    source.down = true;
    await agent.state.waitUntil('OFFLINE', 1_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const offline = await agent.snapshot();
    source.append(Array.from({ length: 20 }, (_, i) => JSON.stringify(submissionEvent(100 + i))));
    source.down = false;
    await expect.poll(() => counts.size, { timeout: 5_000 }).toBe(40);
    await agent.state.waitUntil(['ACTIVE', 'STEADY'], 1_000);
    agent.requestDrain();
    await running;

    expect(offline).toMatchObject({ state: 'OFFLINE', lastError: expect.stringContaining('ECONNRESET') });
    expect(offline.lastError).not.toContain('s3cret');
    expect(offline.stateSince).toBeGreaterThanOrEqual(cutAt);
    expect(warnings).toEqual([
      expect.stringMatching(/^source memory:events is unreachable \(.*ECONNRESET\): OFFLINE/),
      expect.stringMatching(/^source memory:events is reachable again after \d+ ms/),
    ]);
    expect(warnings.join('\n')).not.toContain('s3cret');
    expect((await agent.snapshot()).lastError).toBeUndefined();
    await store.close();
  });

  it('Given a source that reconnects by itself and nothing read yet, When its connection comes back, Then the agent leaves OFFLINE for IDLE (it does not stay OFFLINE until a first message)', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const source = new ReconnectingSource({ idleMs: 5 });
    const agent = new Agent({
      name: 'reconnecting',
      store,
      source,
      rules: new RuleSet([]),
      processes: new ProcessRegistry([]),
      consumer: { heartbeatMs: 20 },
    });
    const running = agent.run();
    await agent.state.waitUntil('IDLE', 2_000);
    source.down = true;
    await agent.state.waitUntil('OFFLINE', 1_000);
    source.down = false;
    await agent.state.waitUntil('IDLE', 1_000);
    agent.requestDrain();
    await running;
    await store.close();
  });

  it('Given a source that fails for a while, When consuming, Then the agent is OFFLINE (not ready) meanwhile, retries, and loses nothing', async () => {
    const store = await openSqliteStore({ path: ':memory:' });
    const source = new FlakySource({ partitions: 2, idleMs: 5 });
    source.append(Array.from({ length: 50 }, (_, i) => JSON.stringify(submissionEvent(i))));
    const counts = new Map<string, number>();
    const agent = new Agent({
      name: 'flaky',
      store,
      source,
      rules: new RuleSet([rule({ name: 'r', on: 'submission.created', process: 'p' })]),
      processes: new ProcessRegistry([countingProcess('p', counts)]),
      consumer: { heartbeatMs: 20 },
    });
    const states: ProcessingStateName[] = [];
    agent.state.onChange((to) => states.push(to));
    const server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      metrics: new AgentMetrics(agent),
      state: agent.state,
    });
    const readiness: number[] = [];
    const readyz = async () => {
      const status = (await fetch(`http://127.0.0.1:${server.port}/readyz`)).status;
      readiness.push(status);
      return status;
    };
    const running = agent.run();
    await expect.poll(() => counts.size, { timeout: 5_000 }).toBe(50);
    await expect.poll(readyz, { timeout: 5_000 }).toBe(200);

    source.down = true;
    await agent.state.waitUntil('OFFLINE', 5_000);
    expect(await readyz()).toBe(503);
    source.append(Array.from({ length: 50 }, (_, i) => JSON.stringify(submissionEvent(100 + i))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.state.value).toBe('OFFLINE');
    source.down = false;
    await expect.poll(() => counts.size, { timeout: 10_000 }).toBe(100);
    await expect.poll(readyz, { timeout: 5_000 }).toBe(200);
    await server.close();
    agent.requestDrain();
    await running;

    expect(states).toContain('OFFLINE');
    expect(readiness).toEqual(expect.arrayContaining([200, 503]));
    expect(readiness.lastIndexOf(503)).toBeLessThan(readiness.lastIndexOf(200));
    expect(states.indexOf('OFFLINE')).toBeLessThan(states.lastIndexOf('STEADY'));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await store.close();
  });
});
