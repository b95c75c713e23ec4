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
  return opener(uri, options);
}
