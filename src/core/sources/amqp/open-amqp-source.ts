import type { Clock } from '../../clock.js';
import type { StateStore } from '../../store/state-store.js';
import type { Telemetry } from '../../telemetry/telemetry.js';
import { amqpSourceOptions } from '../../transports/amqp/amqp-queue-options.js';
import type { Source } from '../source.js';
import { AmqpQueueSource } from './amqp-queue-source.js';
import { AmqpStreamSource } from './amqp-stream-source.js';

export interface OpenAmqpSourceOptions {
  readonly store?: StateStore;
  readonly group?: string;
  readonly clock?: Clock;
  readonly telemetry?: Telemetry;
  /** The config's `adapters` (its `amqp` entry is used). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Longest wait of an idle poll (default 50 ms). */
  readonly idleMs?: number;
}

/**
 * The source an `amqp://` or `amqps://` URI names: a stream queue (`type=stream`) read by offset, else a
 * classic or quorum queue read with acks. Not connected yet. @throws UsageError / ConfigError.
 */
export function openAmqpSource(uri: string, options: OpenAmqpSourceOptions = {}): Source {
  const parsed = amqpSourceOptions(uri, options.settings);
  const common = {
    ...parsed,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.telemetry ? { telemetry: options.telemetry } : {}),
    ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
  };
  if (parsed.type === 'stream') {
    return new AmqpStreamSource({
      ...common,
      ...(options.store ? { store: options.store } : {}),
      ...(options.group === undefined ? {} : { group: options.group }),
    });
  }
  return new AmqpQueueSource(common);
}
