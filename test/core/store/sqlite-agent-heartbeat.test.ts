import { describe, expect, it } from 'vitest';
import type { AgentHeartbeat } from '../../../src/core/store/state-store.js';
import { storeWithLockedWriter, whileLocked } from './locked-writer.js';

const beat: AgentHeartbeat = {
  id: 'agent-1',
  name: 'orders',
  group: 'orders',
  host: 'host',
  pid: 42,
  source: 'local:events',
  state: 'ACTIVE',
  startedAt: 1_000,
  version: '0.0.0',
};

describe('SqliteAgentStore heartbeat while the writer thread waits for the lock', () => {
  it('Given a log append queued on the writer thread behind a lock another connection holds, When the agent beats, Then the event loop keeps running, and the beat is written once the lock is free', async () => {
    const { store, other, appended } = await storeWithLockedWriter('agent-beat-', async () => undefined);

    const { pendingWhileLocked, result: heartbeat } = await whileLocked(other, () =>
      store.agents.heartbeat(beat),
    );

    expect(pendingWhileLocked).toBe(true);
    expect((await appended).length).toBe(300);
    expect(await heartbeat).toMatchObject({ id: 'agent-1', name: 'orders', state: 'ACTIVE', pid: 42 });
    expect(await store.agents.get('agent-1')).toMatchObject({
      id: 'agent-1',
      group: 'orders',
      startedAt: 1_000,
    });
  });
});
