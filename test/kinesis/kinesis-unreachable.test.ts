import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { startAgentctl, writeConfig } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

/** A Kinesis endpoint that accepts TCP connections and never answers. */
let silent: Server;
let endpoint: string;
const sockets = new Set<Socket>();
beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
});

function givenAProject(): { dir: string; db: string; uri: string } {
  const dir = tempDir('kinesis-silent-');
  writeConfig(
    dir,
    `{
      name: 'orders',
      consumer: { heartbeatMs: 200 },
      publisher: { sink: 'none' },
      rules: [rule({ name: 'record-order', on: 'order.placed', process: 'record' })],
      processes: [defineProcess({ name: 'record', steps: [{ name: 'note', run: ({ event }) => event.id }] })],
    }`,
  );
  const uri = `kinesis://orders?region=us-east-1&endpoint=${encodeURIComponent(endpoint)}`;
  return { dir, db: join(dir, '.agentctl', 'agent.db'), uri };
}

function startConsume(dir: string, uri: string, json = true) {
  const run = startAgentctl(['consume', ...(json ? ['--json'] : []), '--source', uri], { cwd: dir });
  onTestFinished(() => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
  });
  return run;
}

/** The agents the store knows, as `status` reads them. */
async function agentsOf(db: string): Promise<{ id: string; state: string }[]> {
  const store = await openSqliteStore({ path: db, readonly: true }).catch(() => undefined);
  if (store === undefined) return [];
  try {
    return (await store.agents.list()).map((a) => ({ id: a.id, state: a.state }));
  } finally {
    await store.close();
  }
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await delay(50);
  }
}

describe('agentctl consume with a Kinesis endpoint that accepts TCP and never answers', () => {
  it('registers the agent at once (status shows it connecting), and one SIGINT stops it cleanly', async () => {
    const { dir, db, uri } = givenAProject();
    const consume = startConsume(dir, uri);
    await until('the agent is registered', async () => (await agentsOf(db)).length > 0, 20_000);
    expect((await agentsOf(db))[0]?.state).toBe('BOOT');

    const signalled = Date.now();
    consume.child.kill('SIGINT');
    const exit = await consume.done;

    // The first signal drains: nothing was read, so it stops at once rather than after the call's deadline.
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.lines<{ type: string; stoppedBy?: string }>().at(-1)).toMatchObject({
      type: 'summary',
      stoppedBy: 'drain',
    });
    expect((await agentsOf(db))[0]?.state).toBe('SHUTDOWN');
  }, 60_000);

  it('without a signal, fails within a bounded time (exit 1) with one line saying the endpoint does not answer', async () => {
    const { dir, uri } = givenAProject();
    const started = Date.now();
    const consume = startConsume(dir, uri, false);
    const timer = setTimeout(() => consume.child.kill('SIGKILL'), 90_000);
    const exit = await consume.done;
    clearTimeout(timer);

    expect(exit.code, exit.stderr).toBe(1);
    expect(Date.now() - started).toBeLessThan(75_000);
    expect(exit.stderr).toMatch(/error: .*Kinesis stream "orders".*does not answer/);
    expect(exit.stderr).not.toContain('requestTimeout');
  }, 120_000);
});
