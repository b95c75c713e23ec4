import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { BrokerAdmin, uniqueName } from '../amqp/support/broker.js';
import { AMQP_URL, rabbitmqAvailable, serviceSuite } from '../support/services.js';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, itFor, killGroup, type Project, project, scenarios, until } from './support.js';

const { readme, skip } = scenarios('worker');
const available = await rabbitmqAvailable();
if (!available) skip('worker');

interface Status {
  readonly runs: { readonly byProcess: readonly { process: string; state: string; count: number }[] };
}

async function succeeded(p: Project): Promise<number> {
  const status = JSON.parse((await p.run('agentctl status --json')).stdout) as Status;
  return status.runs.byProcess.find((r) => r.state === 'succeeded')?.count ?? 0;
}

describe.skipIf(!available)(serviceSuite('README agentctl worker', available, 'RabbitMQ', 'AMQP_URL'), () => {
  it('a worker runs the steps of an agent using the queue runner; status shows its runs', async () => {
    const admin = await BrokerAdmin.open();
    onTestFinished(() => admin.cleanup());
    const endpoint = uniqueName('e2e-scoring');
    admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.orders`);
    const p = project('e2e-worker-');
    writeOrdersAgent(
      p.dir,
      `runner: { kind: 'queue', endpoint: '${endpoint}', url: '${AMQP_URL}' }, publisher: { sink: 'none' },`,
    );
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(10));
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);

    readme('agentctl worker --endpoint scoring --concurrency 16');
    const worker = p.start(`agentctl worker --endpoint ${endpoint} --concurrency 16`);
    onTestFinished(() => killGroup(worker.child, 'SIGKILL'));
    expectExit(await p.run('agentctl consume --until-empty'), 0);
    await until('the worker’s runs are recorded', async () => (await succeeded(p)) === 10);
    killGroup(worker.child, 'SIGTERM');
    expectExit(await worker.done, 0);
  }, 120_000);

  const SYNOPSIS = 'agentctl worker [--endpoint ID] [--concurrency N] [--url AMQP_URL] [--outbox PATH]';
  itFor(SYNOPSIS)(
    'the worker takes every option of its synopsis and keeps its outbox where --outbox says',
    async () => {
      const admin = await BrokerAdmin.open();
      onTestFinished(() => admin.cleanup());
      const endpoint = uniqueName('e2e-synopsis');
      admin.track(`${endpoint}.tasks`, `${endpoint}.results`, `${endpoint}.results.orders`);
      const p = project('e2e-worker-synopsis-');
      writeOrdersAgent(
        p.dir,
        `runner: { kind: 'queue', endpoint: '${endpoint}', url: '${AMQP_URL}' }, publisher: { sink: 'none' },`,
      );
      readme(SYNOPSIS);
      writeFileSync(join(p.dir, 'more.ndjson'), orderEvents(5, 100));
      expectExit(await p.run('agentctl publish --file more.ndjson'), 0);
      const full = p.start(
        `agentctl worker --endpoint ${endpoint} --concurrency 4 --url '${AMQP_URL}' --outbox outbox.db`,
      );
      onTestFinished(() => killGroup(full.child, 'SIGKILL'));
      expectExit(await p.run('agentctl consume --until-empty'), 0);
      await until('the second worker’s runs are recorded', async () => (await succeeded(p)) === 5);
      expect(existsSync(join(p.dir, 'outbox.db'))).toBe(true);
      killGroup(full.child, 'SIGTERM');
      const done = await full.done;
      expectExit(done, 0);
      expect(done.output).not.toContain('guest:guest@');
    },
    60_000,
  );
});
