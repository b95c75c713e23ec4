import type { Channel, ChannelModel } from 'amqplib';
import { redactSecrets } from '../../redact.js';
import { onTemporaryChannel, replyCode } from '../../transports/amqp/amqp-topology.js';
import { type AmqpServer, parseAmqpUri } from '../../transports/amqp/amqp-uri.js';
import { closeQuietly } from '../../transports/amqp/close-quietly.js';
import { CHECK_TIMEOUT_MS, type DoctorCheck, reasonOf, withDeadline } from './doctor-check.js';

/** What to look for on a broker once connected: queues and exchanges, and how a missing one counts. */
export interface AmqpExpectations {
  readonly queues?: readonly {
    readonly name: string;
    /** Missing is fine: someone declares it when it starts (said in the detail). */
    readonly declaredLater?: string;
    /** A queue that needs a consumer (a task queue needs a worker): the fix when it has none. */
    readonly needsConsumer?: string;
  }[];
  readonly exchanges?: readonly string[];
}

/** AMQP reply code 404: the queue or exchange does not exist. */
const NOT_FOUND = 404;

/**
 * Connects to the broker of `uri` with its credentials, checks what `expect` names (passively: nothing
 * is declared, nothing consumed), and closes. One check per thing looked at, named `name …`.
 */
export async function reachAmqp(name: string, uri: string, expect: AmqpExpectations): Promise<DoctorCheck[]> {
  let server: AmqpServer;
  try {
    server = parseAmqpUri(uri, name);
  } catch (error) {
    return [
      { name, ok: false, detail: reasonOf(error), fix: (error as { hint?: string }).hint ?? 'fix the URI' },
    ];
  }
  let model: ChannelModel;
  try {
    const { connect } = await import('amqplib');
    model = await withDeadline(
      connect(server.connect, { timeout: CHECK_TIMEOUT_MS }),
      CHECK_TIMEOUT_MS,
      `connect to ${server.address}`,
      (late) => void closeQuietly(late),
    );
  } catch (error) {
    return [
      {
        name,
        ok: false,
        detail: `${server.display}: ${redactSecrets(reasonOf(error))}`,
        fix: connectFix(error, server),
      },
    ];
  }
  const checks: DoctorCheck[] = [{ name, ok: true, detail: `${server.display}: connected` }];
  try {
    for (const queue of expect.queues ?? []) {
      const found = await passive(model, (ch) => ch.checkQueue(queue.name));
      const what = `${name}: queue ${queue.name}`;
      if (found === NOT_FOUND) {
        checks.push(
          queue.declaredLater === undefined
            ? {
                name: what,
                ok: false,
                detail: 'does not exist',
                fix: queue.needsConsumer ?? `declare queue ${queue.name} on ${server.address}`,
              }
            : { name: what, ok: true, detail: `does not exist yet: ${queue.declaredLater}` },
        );
      } else if (typeof found === 'string') {
        checks.push({
          name: what,
          ok: false,
          detail: found,
          fix: 'check the user’s permissions on the vhost',
        });
      } else if (queue.needsConsumer !== undefined && found.consumerCount === 0) {
        checks.push({
          name: what,
          ok: false,
          detail: `${found.messageCount} ready, no consumer`,
          fix: queue.needsConsumer,
        });
      } else {
        checks.push({
          name: what,
          ok: true,
          detail: `${found.messageCount} ready, ${found.consumerCount} consumers`,
        });
      }
    }
    for (const exchange of expect.exchanges ?? []) {
      const found = await passive(model, (ch) => ch.checkExchange(exchange));
      const what = `${name}: exchange ${exchange}`;
      checks.push(
        found === NOT_FOUND
          ? {
              name: what,
              ok: false,
              detail: 'does not exist',
              fix: `declare exchange ${exchange} on ${server.address}`,
            }
          : typeof found === 'string'
            ? { name: what, ok: false, detail: found, fix: 'check the user’s permissions on the vhost' }
            : { name: what, ok: true, detail: 'exists' },
      );
    }
  } finally {
    await closeQuietly(model);
  }
  return checks;
}

/** A passive check on a channel of its own (a failed check closes its channel): the reply, 404, or why not. */
async function passive<T>(
  model: ChannelModel,
  check: (channel: Channel) => Promise<T>,
): Promise<T | typeof NOT_FOUND | string> {
  try {
    return await onTemporaryChannel(model, (channel) =>
      withDeadline(check(channel), CHECK_TIMEOUT_MS, 'passive check'),
    );
  } catch (error) {
    return replyCode(error) === NOT_FOUND ? NOT_FOUND : reasonOf(error);
  }
}

function connectFix(error: unknown, server: AmqpServer): string {
  const text = reasonOf(error);
  if (/ACCESS_REFUSED|403|auth/i.test(text))
    return `check the user and password in the URI (the broker at ${server.address} refused them)`;
  if (/vhost|NOT_ALLOWED|530/i.test(text))
    return `check the vhost "${server.vhost}" exists and the user may use it`;
  return `check that RabbitMQ runs at ${server.address} and is reachable from here (rabbitmqctl status; host, port, firewall)`;
}
