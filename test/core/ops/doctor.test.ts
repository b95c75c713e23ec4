import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../../src/core/ops/doctor/doctor.js';
import { migrateStore } from '../../../src/core/ops/store-migrate.js';
import {
  AMQP_URL,
  dropSchemas,
  PG_URL,
  postgresAvailable,
  rabbitmqAvailable,
  serviceSuite,
} from '../../support/services.js';
import { tempDir } from '../../support/temp.js';

const pg = await postgresAvailable();
const broker = await rabbitmqAvailable();
const schemas: string[] = [];
afterAll(async () => {
  if (pg) await dropSchemas(schemas);
});

describe.skipIf(!pg)(serviceSuite('doctor: PostgreSQL clock skew', pg, 'PostgreSQL', 'PG_URL'), () => {
  it('passes with this host’s clock, fails with one an hour off, naming the fix', async () => {
    const schema = `doctor_${randomBytes(4).toString('hex')}`;
    schemas.push(schema);
    const db = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
    await migrateStore(db);
    const dir = tempDir('doctor-');
    const base = { config: { name: 'orders' }, configDir: dir, configPath: undefined, overrides: { db } };
    const fine = await runDoctor(base);
    expect(fine.find((c) => c.name === 'postgres clock skew')?.ok).toBe(true);
    const skewed = await runDoctor({ ...base, now: () => Date.now() - 3_600_000 });
    const check = skewed.find((c) => c.name === 'postgres clock skew');
    expect(check).toMatchObject({ ok: false, fix: expect.stringContaining('NTP') });
    // An hour, give or take the real (small) skew between this host and the server: 3599996 ms is right too.
    const said = /^the server's clock is (\d+) ms ahead of this host's \(±\d+ ms\), more than 1000 ms$/.exec(
      check!.detail,
    );
    expect(said, check!.detail).not.toBeNull();
    expect(Math.abs(Number(said![1]) - 3_600_000)).toBeLessThan(1_000);
  });
});

describe.skipIf(!broker)(
  serviceSuite('doctor: the queue runner’s queues', broker, 'RabbitMQ', 'AMQP_URL'),
  () => {
    it('fails while no worker consumes the task queue, with the command that starts one', async () => {
      const dir = tempDir('doctor-');
      const endpoint = `doctor-${randomBytes(4).toString('hex')}`;
      const checks = await runDoctor({
        config: { name: 'orders', runner: { kind: 'queue', endpoint, url: AMQP_URL } },
        configDir: dir,
        configPath: undefined,
        overrides: {},
      });
      const runner = checks.filter((c) => c.name.startsWith('queue runner'));
      expect(runner.map((c) => [c.name, c.ok])).toEqual([
        ['queue runner', true],
        [`queue runner: queue ${endpoint}.tasks`, false],
        [`queue runner: queue ${endpoint}.results.orders`, true],
      ]);
      expect(runner[1]?.fix).toBe(`start a worker: agentctl worker --endpoint ${endpoint}`);
    });

    it('a source queue: connected, and the queue looked at passively', async () => {
      const dir = tempDir('doctor-');
      const queue = `doctor-${randomBytes(4).toString('hex')}`;
      const checks = await runDoctor({
        config: { name: 'orders' },
        configDir: dir,
        configPath: undefined,
        overrides: { source: `${AMQP_URL}/?queue=${queue}&declare=false` },
      });
      expect(checks.filter((c) => c.name.startsWith('source')).map((c) => [c.name, c.ok])).toEqual([
        ['source reachable', true],
        [`source reachable: queue ${queue}`, false],
      ]);
    });
  },
);
