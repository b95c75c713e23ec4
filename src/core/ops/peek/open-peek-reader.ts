import { UsageError } from '../../errors/usage-error.js';
import { parseSourceUri } from '../../sources/source-uri.js';
import type { StateStore } from '../../store/state-store.js';
import type { PeekReader } from './peek-reader.js';

export interface OpenPeekReaderOptions {
  /** The state store: needed for `local:` (the log lives there). */
  readonly store?: StateStore;
  /** The config's `adapters` (Kinesis and AMQP settings). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Classic/quorum queues: take up to `limit` messages and give them back (see `AmqpRequeuePeekReader`). */
  readonly requeue?: boolean;
  /** Most records the peek may print (bounds what `requeue` takes). */
  readonly limit?: number;
}

/**
 * The peek reader of a source URI. Each kind is loaded on first use. A classic or quorum queue is refused
 * unless `requeue`: it cannot be read without taking its messages.
 * @throws UsageError for a bad URI, a queue without `requeue`, or `requeue` on anything but a queue.
 */
export async function openPeekReader(uri: string, options: OpenPeekReaderOptions): Promise<PeekReader> {
  const parsed = parseSourceUri(uri);
  if (options.requeue && parsed.kind !== 'amqp') {
    throw new UsageError(`--requeue is for classic and quorum AMQP queues, not ${parsed.display}`);
  }
  switch (parsed.kind) {
    case 'local': {
      if (options.store === undefined) throw new Error('peek on local: needs the state store');
      const { LocalPeekReader } = await import('./local-peek-reader.js');
      return new LocalPeekReader(options.store.log, parsed.name);
    }
    case 'file': {
      const { SourcePeekReader } = await import('./source-peek-reader.js');
      const { FileSource } = await import('../../sources/file-source.js');
      return new SourcePeekReader(new FileSource({ path: parsed.name, idleMs: 0 }), { first: 1 });
    }
    case 'kinesis': {
      const { kinesisSettings } = await import('../../transports/kinesis/kinesis-settings.js');
      const { createKinesisClient } = await import('../../transports/kinesis/kinesis-client.js');
      const { KinesisPeekReader } = await import('./kinesis-peek-reader.js');
      const settings = kinesisSettings(parsed.params, options.settings?.kinesis);
      return new KinesisPeekReader({
        client: createKinesisClient(settings),
        stream: parsed.name,
        display: parsed.display,
      });
    }
    case 'amqp':
      return openAmqp(uri, parsed.display, options);
  }
}

async function openAmqp(uri: string, display: string, options: OpenPeekReaderOptions): Promise<PeekReader> {
  const { amqpSourceOptions } = await import('../../transports/amqp/amqp-queue-options.js');
  const parsed = amqpSourceOptions(uri, options.settings);
  if (parsed.type === 'stream') {
    if (options.requeue)
      throw new UsageError('--requeue is for classic and quorum queues: a stream is read by offset');
    const { AmqpStreamSource } = await import('../../sources/amqp/amqp-stream-source.js');
    const { SourcePeekReader } = await import('./source-peek-reader.js');
    // Never declares: looking must not create a queue.
    const source = new AmqpStreamSource({ ...parsed, settings: { ...parsed.settings, declare: false } });
    return new SourcePeekReader(source, { first: 0 });
  }
  if (!options.requeue) {
    throw new UsageError(
      `${display} is a ${parsed.type} queue: it cannot be read without taking its messages, so peek does not read it`,
      {
        hint: `--requeue takes up to -n messages with basic.get and gives them all back (nack with requeue): they stay in the queue, marked redelivered${parsed.type === 'quorum' ? ', and each peek counts towards the delivery limit of a quorum queue' : ''}; add &type=stream for a stream queue`,
      },
    );
  }
  if (options.limit === undefined) {
    throw new UsageError('--requeue needs a bound: give -n N (at most N messages are taken and given back)');
  }
  const { AmqpRequeuePeekReader } = await import('./amqp-requeue-peek-reader.js');
  return new AmqpRequeuePeekReader({ server: parsed.server, queue: parsed.queue, max: options.limit });
}
