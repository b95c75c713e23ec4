import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchemas, PG_URL, postgresAvailable, serviceSuite } from '../support/services.js';
import { orderEvents, writeOrdersAgent } from './fixtures.js';
import { expectExit, project, scenarios, until } from './support.js';
import { inTerminal } from './terminal.js';

const { readme, skip } = scenarios('fleet');
const available = await postgresAvailable();
if (!available) skip('fleet');
const schemas: string[] = [];
afterAll(async () => {
  if (available) await dropSchemas(schemas);
});

function freshDb(): string {
  const schema = `e2e_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  return `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`;
}

/** The README's placeholder store (`postgres://agentctl@db.internal/agents`) becomes `db`. */
const onLocal = (text: string, db: string) =>
  text.replace('postgres://agentctl@db.internal/agents', `'${db}'`).replace('postgres://…', `'${db}'`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe.skipIf(!available)(serviceSuite('README fleet mode', available, 'PostgreSQL', 'PG_URL'), () => {
  it('migrates, copies an embedded store, consumes with metrics, shows every host, drains by id, and the console attaches', async () => {
    const p = project('e2e-fleet-');
    const db = freshDb();
    writeOrdersAgent(p.dir, "publisher: { sink: 'none' },");
    writeFileSync(join(p.dir, 'events.ndjson'), orderEvents(10));
    expectExit(await p.run('agentctl publish --file events.ndjson'), 0);

    readme('agentctl store migrate [--db URL]');
    expectExit(await p.run('agentctl store migrate'), 0);
    const migrate = await p.run(
      onLocal(readme('agentctl store migrate --db postgres://agentctl@db.internal/agents'), db),
    );
    expectExit(migrate, 0);
    readme('agentctl store migrate --db URL');
    expectExit(await p.run(`agentctl store migrate --db '${db}'`), 0);

    readme('agentctl store copy --from PATH --to postgres://… [--yes]');
    const copy = await p.run(
      onLocal(
        readme(
          'agentctl store copy --from .agentctl/agent.db --to postgres://agentctl@db.internal/agents --yes',
        ),
        db,
      ),
    );
    expectExit(copy, 0);

    const port = await freePort();
    readme('agentctl consume --db postgres://agentctl@db.internal/agents --metrics-port 9464');
    const consume = p.start(`agentctl consume --db '${db}' --metrics-port ${port}`);
    const get = async (path: string) => fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
    await until('the agent is ready', async () => (await get('/readyz'))?.status === 200);
    expect((await get('/healthz'))?.status).toBe(200);
    await until('the copied events are read', async () =>
      /agentctl_events_read_total(\{[^}]*\})? 10\b/.test((await (await get('/metrics'))?.text()) ?? ''),
    );

    const status = await p.run(
      onLocal(readme('agentctl status --db postgres://agentctl@db.internal/agents --all'), db),
    );
    expectExit(status, 0);
    expect(status.stdout).toMatch(/orders@\S+\s+(ACTIVE|IDLE|STEADY)/);
    const id = /(orders@\S+#\d+)/.exec(status.stdout)![1]!;

    const console = await inTerminal(p, onLocal(readme('agentctl tui --db postgres://…'), db));
    try {
      await console.waitFor(/postgres/);
      await console.waitFor(new RegExp(id.replace(/[#.]/g, '\\$&')));
      await console.keys('q');
      await until('the console quits', () => console.ended(), 10_000);
    } finally {
      await console.close();
    }

    readme('agentctl drain --db postgres://agentctl@db.internal/agents --agent orders@host-b#4711');
    const drain = await p.run(`agentctl drain --db '${db}' --agent '${id}'`);
    expectExit(drain, 0);
    const done = await consume.done;
    expectExit(done, 0);
    expect(done.stdout).toMatch(/read 10/);
  }, 120_000);
});
