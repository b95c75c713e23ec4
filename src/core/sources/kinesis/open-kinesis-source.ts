import { createKinesisClient, createKinesisHttp2Client } from '../../transports/kinesis/kinesis-client.js';
import { kinesisSettings } from '../../transports/kinesis/kinesis-settings.js';
import type { OpenSourceOptions } from '../source-opener.js';
import { parseSourceUri } from '../source-uri.js';
import { KinesisSource } from './kinesis-source.js';

/**
 * Opens (without connecting) the source for `kinesis://STREAM?region=R&endpoint=URL`, with the config's
 * `adapters.kinesis` settings (`region`, `endpoint`, `pollIntervalMs`, `maxRecordsPerCall`,
 * `prefetchRecords`, `maxAttempts`, `consumer` for enhanced fan-out; URI parameters win).
 */
export function openKinesisSource(uri: string, options: OpenSourceOptions): KinesisSource {
  const parsed = parseSourceUri(uri);
  const settings = kinesisSettings(parsed.params, options.settings?.kinesis);
  return new KinesisSource({
    stream: parsed.name,
    client: createKinesisClient(settings),
    ownsClient: true,
    uri,
    store: options.store,
    ...(options.group === undefined ? {} : { group: options.group }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(settings.pollIntervalMs === undefined ? {} : { pollIntervalMs: settings.pollIntervalMs }),
    ...(settings.maxRecordsPerCall === undefined ? {} : { maxRecordsPerCall: settings.maxRecordsPerCall }),
    ...(settings.prefetchRecords === undefined ? {} : { prefetchRecords: settings.prefetchRecords }),
    ...(settings.consumer === undefined
      ? {}
      : { consumer: { name: settings.consumer, subscribeClient: createKinesisHttp2Client(settings) } }),
  });
}
