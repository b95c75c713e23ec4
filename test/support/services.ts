/**
 * Probes for the services some tests need. A test file asks once at load time and skips its suites
 * visibly when the service does not answer (`describe.skipIf(!available)` with a name saying so), unless
 * CI requires the service (`AGENTCTL_REQUIRE_POSTGRES=1`, `AGENTCTL_REQUIRE_BROKER=1`): then the probe
 * throws and the test file fails instead of passing quietly without its tests.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { onTestFinished } from 'vitest';

export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

const PROBE_TIMEOUT_MS = 2_000;

function required(variable: string): boolean {
  return /^(1|true|yes)$/i.test(process.env[variable] ?? '');
}

function unavailable(what: string, url: string, variable: string, reason: string): false {
  if (required(variable)) {
    throw new Error(`${what} is required (${variable}=1) but does not answer at ${redact(url)}: ${reason}`);
  }
  return false;
}

function redact(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/** True when a PostgreSQL server answers a query at `PG_URL`. */
export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    return unavailable('PostgreSQL', PG_URL, 'AGENTCTL_REQUIRE_POSTGRES', reasonOf(error));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** True when something accepts TCP connections at the host and port of `AMQP_URL`. */
export async function rabbitmqAvailable(): Promise<boolean> {
  const url = new URL(AMQP_URL);
  const port = Number(url.port || (url.protocol === 'amqps:' ? 5671 : 5672));
  const host = url.hostname || '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setTimeout(PROBE_TIMEOUT_MS, () =>
        socket.destroy(new Error(`no answer in ${PROBE_TIMEOUT_MS} ms`)),
      );
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', reject);
    });
    return true;
  } catch (error) {
    return unavailable('RabbitMQ', AMQP_URL, 'AGENTCTL_REQUIRE_BROKER', reasonOf(error));
  }
}

/** The name of a suite that needs a service: says so when the suite is skipped. */
export function serviceSuite(name: string, available: boolean, service: string, variable: string): string {
  return available ? name : `${name} — skipped: no ${service} at ${variable}`;
}

/** Drops the PostgreSQL schemas a suite created (and everything in them), for its `afterAll`. */
export async function dropSchemas(schemas: Iterable<string>): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A plain client on the test database, to write and look at what a store keeps; ended when the test ends. */
export async function pgClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  onTestFinished(() => client.end());
  return client;
}
