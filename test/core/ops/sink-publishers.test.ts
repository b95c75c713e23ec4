import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FakeClock } from '../../../src/core/clock.js';
import type { AgentConfig } from '../../../src/core/config/agent-config.js';
import { SinkPublishers, SinkUnavailable } from '../../../src/core/ops/sink-publishers.js';
import { RetryingPublisher } from '../../../src/core/publish/retrying-publisher.js';
import { Journal } from '../../../src/core/store/journal.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import { tempDir } from '../../support/temp.js';

async function publishers(sink: string | undefined, override?: string) {
  const store = await openSqliteStore({ path: join(tempDir('sink-publishers-'), 'agent.db') });
  const config = { name: 'orders', ...(sink === undefined ? {} : { publisher: { sink } }) } as AgentConfig;
  const made = new SinkPublishers({
    store,
    config,
    journal: new Journal(),
    clock: new FakeClock(),
    ...(override === undefined ? {} : { sink: override }),
  });
  onTestFinished(async () => {
    await made.close();
    await store.close();
  });
  return made;
}

const nameOf = (opened: unknown) =>
  opened instanceof RetryingPublisher
    ? opened.sink
    : opened instanceof SinkUnavailable
      ? opened.message
      : opened;

describe('SinkPublishers.forRecord', () => {
  it('Given a record parked for the agent sink (publisher.sink), When the config names another sink now, Then that one is used', async () => {
    const made = await publishers('local:moved');

    expect(nameOf(await made.forRecord({ sink: 'local:results', sinkRef: 'publisher.sink' }))).toBe(
      nameOf(await made.agentSink()),
    );
    expect(nameOf(await made.agentSink())).toMatch(/moved/);
  });

  it('Given --sink, When any record is resolved, Then --sink is used, and the agent sink too', async () => {
    const made = await publishers('local:results', 'local:elsewhere');

    expect(nameOf(await made.forRecord({ sink: 'local:results' }))).toMatch(/elsewhere/);
    expect(nameOf(await made.forRecord({ sink: 'local:x', sinkRef: 'publisher.sink' }))).toMatch(/elsewhere/);
    expect(nameOf(await made.agentSink())).toMatch(/elsewhere/);
  });

  it('Given an old record (no reference) whose sink name is the config sink, When resolved, Then the config sink (with its credentials) is used', async () => {
    const made = await publishers('amqp://alice:s3cret@broker.example:5673/vh?queue=q');

    const opened = await made.forRecord({ sink: 'amqp://broker.example:5673/vh?queue=q' });

    expect(opened).toBe(await made.agentSink());
  });

  it('Given an old record for another AMQP sink, When resolved, Then it is unavailable and asks for --sink, naming no secret', async () => {
    const made = await publishers('amqp://alice:s3cret@broker.example:5673/vh?queue=q');

    const opened = await made.forRecord({ sink: 'amqp://broker.example:5673/vh?queue=other' });

    expect(opened).toBeInstanceOf(SinkUnavailable);
    expect(nameOf(opened)).toMatch(/credentials are not kept; replay with --sink URI/);
    expect(nameOf(opened)).not.toContain('s3cret');
  });

  it('Given an old record for a local sink that is not the config one, When resolved, Then it is opened by its name as before', async () => {
    const made = await publishers('none');

    expect(nameOf(await made.forRecord({ sink: 'local:old-results' }))).toMatch(/old-results/);
  });

  it('Given a sink URI with credentials that cannot be opened, When reported, Then the password is redacted', () => {
    expect(new SinkUnavailable('amqp://alice:s3cret@h/vh?queue=q', 'boom').message).not.toContain('s3cret');
  });
});
