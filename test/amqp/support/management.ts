import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { AMQP_URL } from '../../support/services.js';

const run = promisify(execFile);

/** The broker's management API, on the host of `AMQP_URL` (`RABBITMQ_MANAGEMENT_URL` overrides it). */
export const MANAGEMENT_URL =
  process.env.RABBITMQ_MANAGEMENT_URL ?? `http://${new URL(AMQP_URL).hostname || '127.0.0.1'}:15672`;

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 80) });
    socket.setTimeout(1_000, () => socket.destroy());
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

/**
 * Makes sure the management API answers: enables `rabbitmq_management` on the local broker when it
 * does not (idempotent; the plugin is installed with the broker), then waits up to 60 s for its port.
 * @throws when it still does not answer.
 */
export async function ensureManagement(): Promise<void> {
  if (await answers(MANAGEMENT_URL)) return;
  await run('rabbitmq-plugins', ['enable', 'rabbitmq_management']).catch(() => undefined);
  for (let i = 0; i < 120; i++) {
    if (await answers(MANAGEMENT_URL)) return;
    await delay(500);
  }
  throw new Error(`the RabbitMQ management API does not answer at ${MANAGEMENT_URL}`);
}

/** `GET /api/PATH` as guest, parsed. */
export async function managementApi<T>(path: string): Promise<T> {
  const auth = Buffer.from('guest:guest').toString('base64');
  const response = await fetch(`${MANAGEMENT_URL}/api/${path}`, {
    headers: { authorization: `Basic ${auth}` },
  });
  if (!response.ok) throw new Error(`GET /api/${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
