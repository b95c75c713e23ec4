import { UsageError } from '../errors/usage-error.js';
import type { Source } from './source.js';
import type { OpenSourceOptions, SourceOpener } from './source-opener.js';
import { parseSourceUri } from './source-uri.js';

/**
 * Adapters by kind, loaded on first use so that a command that does not read Kinesis never loads the
 * AWS SDK. Later adapters register here.
 */
const openers: Record<string, SourceOpener> = {
  async local(uri, options) {
    const { LocalSource } = await import('./local-source.js');
    return new LocalSource({
      store: options.store,
      topic: parseSourceUri(uri).name,
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.localPartitions === undefined ? {} : { partitions: options.localPartitions }),
    });
  },
  async file(uri, options) {
    const { FileSource } = await import('./file-source.js');
    return new FileSource({
      path: parseSourceUri(uri).name,
      store: options.store,
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  },
  async kinesis(uri, options) {
    const { openKinesisSource } = await import('./kinesis/open-kinesis-source.js');
    return openKinesisSource(uri, options);
  },
  async amqp(uri, options) {
    const { openAmqpSource } = await import('./amqp/open-amqp-source.js');
    return openAmqpSource(uri, {
      store: options.store,
      ...(options.group === undefined ? {} : { group: options.group }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.settings === undefined ? {} : { settings: options.settings }),
    });
  },
};

/** The schemes `parseSourceUri` reads; any other scheme is opened only by an opener registered for it. */
const BUILT_IN_SCHEMES = new Set(['local', 'file', 'kinesis', 'amqp', 'amqps']);

/**
 * Registers the opener of a source kind: a built-in kind (`local`, `file`, `kinesis`, `amqp`), replacing
 * its opener, or a scheme of your own (`registerSourceOpener('mem', …)` makes `openSource('mem:x')` call
 * it with the URI as given), as `registerSinkOpener` does for sinks.
 */
export function registerSourceOpener(kind: string, opener: SourceOpener): void {
  openers[kind.toLowerCase()] = opener;
}

/** Opens (but does not connect) the source a URI names. @throws UsageError for a bad or unsupported URI. */
export async function openSource(uri: string, options: OpenSourceOptions): Promise<Source> {
  const scheme = uri.slice(0, Math.max(0, uri.indexOf(':'))).toLowerCase();
  const own = !BUILT_IN_SCHEMES.has(scheme) && Object.hasOwn(openers, scheme) ? openers[scheme] : undefined;
  if (own !== undefined) return own(uri, options);
  const parsed = parseSourceUri(uri);
  const opener = openers[parsed.kind];
  if (opener === undefined)
    throw new UsageError(`source kind "${parsed.kind}" is not available in this build`);
  return opener(uri, options);
}
