import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import type { PublishRecord, Sink } from '../../publish/publisher.js';
import { type ParsedSourceUri, parseSourceUri } from '../../sources/source-uri.js';
import type { FailedMessage } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';

/** The AMQP header a redrive sets: how many times the item has been redriven, this one included. */
export const REDRIVE_HEADER = 'x-agentctl-redrive';

/**
 * Where parked events go back to: the source they were read from. `send` resolves only once the origin
 * confirmed the item (a broker's publisher confirm, `PutRecords` success for that record, the local log's
 * committed append) and throws otherwise, so that an item is marked `replayed` only after that.
 */
export interface OriginTarget {
  /** The origin without credentials, e.g. `kinesis://orders`. */
  readonly name: string;
  /** Where one item goes, for a dry run and the item's history (`kinesis://orders key k-1`). */
  where(item: FailedMessage): string;
  /** Why the item cannot go there (say, its partition key was not kept), or `undefined` when it can. */
  refusal(item: FailedMessage): string | undefined;
  /** Publishes the item's original bytes as its `redrive`-th redrive; resolves once confirmed. */
  send(item: FailedMessage, redrive: number): Promise<void>;
  close(): Promise<void>;
}

/** What opening a target needs: the source's URI (with credentials), the store, the adapter settings. */
export interface OriginOptions {
  readonly uri: string;
  readonly store: StateStore;
  readonly settings?: Readonly<Record<string, unknown>>;
}

/**
 * The target for the source `uri` names (nothing connects until the first send).
 * @throws SourceUnavailableError for a source that cannot take writes (a `file:` source).
 */
export async function openOriginTarget(options: OriginOptions): Promise<OriginTarget> {
  const parsed = parseSourceUri(options.uri);
  switch (parsed.kind) {
    case 'local':
      return localTarget(parsed, options.store);
    case 'kinesis': {
      const { openKinesisSink } = await import('../../publish/sinks/kinesis-sink.js');
      const sink = openKinesisSink(
        options.uri,
        options.settings === undefined ? {} : { settings: options.settings },
      );
      return sinkTarget(`kinesis://${parsed.name}`, sink, 'partition key', true);
    }
    case 'amqp': {
      const { AmqpSink } = await import('../../publish/sinks/amqp-sink.js');
      // The source URI names the queue (`?queue=`): the sink publishes to it through the default exchange.
      const sink = new AmqpSink(
        options.uri,
        options.settings === undefined ? {} : { settings: options.settings },
      );
      return sinkTarget(sink.name, sink, 'routing key', false);
    }
    default:
      throw new SourceUnavailableError(
        `cannot redrive to ${parsed.display}: a ${parsed.kind} source takes no writes`,
        {
          hint: 'redrive items read from local:, kinesis:// or amqp:// sources; replay these with replay --failed',
        },
      );
  }
}

/** The record of an item: its original bytes and key, its id the event's (or the item's). */
function recordOf(item: FailedMessage, headers?: Readonly<Record<string, string>>): PublishRecord {
  return {
    id: item.eventId ?? `failed-${item.id}`,
    value: item.raw,
    timestamp: item.timestamp,
    ...(item.recordKey === undefined ? {} : { key: item.recordKey }),
    ...(headers === undefined ? {} : { headers }),
  };
}

/** The item's partition of the local log, a number. */
function localPartition(item: FailedMessage): number | undefined {
  const n = Number(item.partition);
  return item.partition !== '' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** The local log topic: appended to the item's own partition, with its key. */
function localTarget(parsed: ParsedSourceUri, store: StateStore): OriginTarget {
  const name = `local:${parsed.name}`;
  return {
    name,
    where: (item) =>
      `${name} partition ${item.partition}${item.recordKey === undefined ? '' : ` key ${item.recordKey}`}`,
    refusal: (item) =>
      localPartition(item) === undefined
        ? `partition "${item.partition}" is not a partition of ${name}`
        : undefined,
    async send(item) {
      const topic = await store.log.topic(parsed.name);
      const partition = localPartition(item)!;
      if (topic === undefined || partition >= topic.partitions) {
        throw new SourceUnavailableError(`${name} has no partition ${partition}`);
      }
      await store.log.append(parsed.name, [
        {
          value: item.raw,
          partition,
          timestamp: item.timestamp,
          ...(item.recordKey === undefined ? {} : { key: item.recordKey }),
        },
      ]);
    },
    close: async () => undefined,
  };
}

/**
 * A stream or queue reached through its sink: Kinesis (`needsKey`: the partition key places the record
 * on its shard, so an item without one is refused) or AMQP (original headers plus `x-agentctl-redrive`).
 */
function sinkTarget(name: string, sink: Sink, keyName: string, needsKey: boolean): OriginTarget {
  return {
    name,
    where: (item) => `${name}${item.recordKey === undefined ? '' : ` ${keyName} ${item.recordKey}`}`,
    refusal: (item) =>
      needsKey && (item.recordKey === undefined || item.recordKey === '')
        ? `its ${keyName} was not kept when it was parked, so its shard is unknown`
        : undefined,
    async send(item, redrive) {
      const headers = needsKey ? undefined : { ...item.headers, [REDRIVE_HEADER]: String(redrive) };
      const result = await sink.send([recordOf(item, headers)]);
      const failure = result.failures.get(0);
      if (failure !== undefined) throw failure;
    },
    close: () => sink.close(),
  };
}
