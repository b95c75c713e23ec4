import { UsageError } from '../errors/usage-error.js';
import { redactUri } from '../redact.js';
import type { Sink } from './publisher.js';
import type { OpenSinkOptions, SinkOpener } from './sink-opener.js';

export const SINK_URI_HELP =
  'sinks are: local:TOPIC (embedded log), stdout, file:PATH.ndjson, kinesis://STREAM?region=R, amqp://user:pass@host/vhost?exchange=X&routingKey=K, or none';

const openers: Record<string, SinkOpener> = {
  async local(uri, { store }) {
    const { LocalLogSink } = await import('./sinks/local-log-sink.js');
    return new LocalLogSink(store, uri.slice('local:'.length).replace(/^\/\//, '') || 'results');
  },
  async stdout() {
    const { NdjsonSink } = await import('./sinks/ndjson-sink.js');
    return NdjsonSink.stdout();
  },
  async file(uri) {
    const { NdjsonSink } = await import('./sinks/ndjson-sink.js');
    const path = uri.slice('file:'.length);
    if (!path) throw new UsageError('invalid sink "file:": missing path', { hint: SINK_URI_HELP });
    return NdjsonSink.file(path);
  },
  async kinesis(uri, options) {
    const { openKinesisSink } = await import('./sinks/kinesis-sink.js');
    return openKinesisSink(uri, options);
  },
  async amqp(uri, { settings }) {
    const { AmqpSink } = await import('./sinks/amqp-sink.js');
    return new AmqpSink(uri, settings === undefined ? {} : { settings });
  },
};

/** Registers the opener of a sink scheme (Kinesis and AMQP sinks register themselves). */
export function registerSinkOpener(scheme: string, opener: SinkOpener): void {
  openers[scheme] = opener;
}

/** The sink a URI names; `undefined` for `none`. @throws UsageError for an unknown one. */
export async function openSink(uri: string, options: OpenSinkOptions): Promise<Sink | undefined> {
  if (uri === 'none') return undefined;
  const scheme = uri === 'stdout' ? 'stdout' : uri.slice(0, Math.max(0, uri.indexOf(':'))).toLowerCase();
  const opener = openers[scheme === 'amqps' ? 'amqp' : scheme];
  if (opener === undefined) throw new UsageError(`unknown sink "${redactUri(uri)}"`, { hint: SINK_URI_HELP });
  return checkedSink(await opener(uri, options), scheme);
}

/**
 * The sink an opener made, if it has what the publisher relies on: a `name` (the key of its efforts and of
 * the status board), a whole `maxBatch` ≥ 1, `send` and `close`. A hand-written opener that returns less
 * would otherwise fail later and far away (a store write refused for a missing name, an agent that never
 * finishes its drain).
 * @throws UsageError naming what is missing.
 */
function checkedSink(sink: Sink | undefined, scheme: string): Sink | undefined {
  if (sink === undefined) return undefined;
  const candidate = sink as Partial<Record<keyof Sink, unknown>>;
  const missing = [
    typeof candidate.name === 'string' && candidate.name !== '' ? undefined : 'name (a non-empty string)',
    Number.isInteger(candidate.maxBatch) && (candidate.maxBatch as number) >= 1
      ? undefined
      : 'maxBatch (a whole number ≥ 1)',
    typeof candidate.send === 'function' ? undefined : 'send (a function)',
    typeof candidate.close === 'function' ? undefined : 'close (a function)',
  ].filter((what) => what !== undefined);
  if (missing.length === 0) return sink;
  throw new UsageError(`the opener of "${scheme}:" sinks returned a sink without ${missing.join(', ')}`, {
    hint: 'see the Sink interface (agentctl/config exports its type): name, maxBatch, send, close',
  });
}
