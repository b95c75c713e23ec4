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

/** Registers the opener of a source kind (used by adapters shipped in later modules). */
export function registerSourceOpener(kind: string, opener: SourceOpener): void {
  openers[kind] = opener;
}

/** Opens (but does not connect) the source a URI names. @throws UsageError for a bad or unsupported URI. */
export async function openSource(uri: string, options: OpenSourceOptions): Promise<Source> {
  const parsed = parseSourceUri(uri);
  const opener = openers[parsed.kind];
  if (opener === undefined)
    throw new UsageError(`source kind "${parsed.kind}" is not available in this build`);
  return opener(uri, options);
}
