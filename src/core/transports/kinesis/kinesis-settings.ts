import { ConfigError } from '../../errors/config-error.js';

/**
 * How agentctl talks to Kinesis: from the URI's query (`kinesis://STREAM?region=R&endpoint=URL`) and the
 * config's `adapters.kinesis` block. The URI wins over the config, and both over the environment (the
 * SDK's own region and credential resolution).
 */
export interface KinesisSettings {
  /** AWS region; without one the SDK's chain decides (`AWS_REGION`, profile), or `us-east-1` for an endpoint. */
  readonly region?: string;
  /** Another endpoint (kinesalite, LocalStack, a VPC endpoint). */
  readonly endpoint?: string;
  /**
   * Read with enhanced fan-out as this stream consumer (registered if missing): `SubscribeToShard` over
   * HTTP/2 instead of `GetRecords` polling.
   */
  readonly consumer?: string;
  /** Least wait between `GetRecords` calls on an idle shard, in ms (default and minimum 200). */
  readonly pollIntervalMs?: number;
  /** `Limit` of one `GetRecords` call (default 10,000, the Kinesis maximum). */
  readonly maxRecordsPerCall?: number;
  /** Records a shard reader fetches ahead of the processor before it stops fetching (default 10,000). */
  readonly prefetchRecords?: number;
  /** SDK attempts per control-plane call and per `PutRecords` (default 3). */
  readonly maxAttempts?: number;
  /** Deadline of one call for Kinesis to start answering, in ms (default 10,000); retried as transient. */
  readonly requestTimeoutMs?: number;
}

const NUMBERS = [
  'pollIntervalMs',
  'maxRecordsPerCall',
  'prefetchRecords',
  'maxAttempts',
  'requestTimeoutMs',
] as const;
const STRINGS = ['region', 'endpoint', 'consumer'] as const;
const KNOWN: ReadonlySet<string> = new Set<string>([...NUMBERS, ...STRINGS]);

/**
 * Merges URI parameters over config settings (`adapters.kinesis`).
 * @throws ConfigError naming a key of the wrong type or an unknown one, as the user gave it: the URI's
 * `?key=` parameter or the config's `adapters.kinesis.key`.
 */
export function kinesisSettings(params: URLSearchParams, settings: unknown = {}): KinesisSettings {
  const where = (key: string) => (params.has(key) ? `the URI parameter ?${key}=` : `adapters.kinesis.${key}`);
  if (typeof settings !== 'object' || settings === null)
    throw new ConfigError('adapters.kinesis: expected an object', 'adapters.kinesis');
  const given = settings as Record<string, unknown>;
  const out: Record<string, string | number> = {};
  for (const key of Object.keys(given)) {
    if (!KNOWN.has(key)) {
      throw new ConfigError(`adapters.kinesis: unknown key "${key}"`, `adapters.kinesis.${key}`, {
        hint: `known keys: ${[...KNOWN].join(', ')}`,
      });
    }
  }
  for (const key of STRINGS) {
    const value = params.get(key) ?? given[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '')
      throw new ConfigError(`${where(key)}: expected a non-empty string`, `adapters.kinesis.${key}`, {
        hint: `give ${key} a value, or leave it out`,
      });
    out[key] = value;
  }
  for (const key of NUMBERS) {
    const raw = params.get(key) ?? given[key];
    if (raw === undefined) continue;
    const value = typeof raw === 'string' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)
      throw new ConfigError(
        `${where(key)}: expected a positive integer, not ${String(raw)}`,
        `adapters.kinesis.${key}`,
        {
          hint: `e.g. ${key}=1000`,
        },
      );
    out[key] = value;
  }
  if (out.consumer !== undefined && !/^[a-zA-Z0-9_.-]{1,128}$/.test(String(out.consumer))) {
    throw new ConfigError(
      `${where('consumer')}: "${out.consumer}" is not a stream consumer name`,
      'adapters.kinesis.consumer',
      { hint: 'up to 128 letters, digits, "_", "." and "-"' },
    );
  }
  if (out.endpoint !== undefined) {
    try {
      new URL(String(out.endpoint));
    } catch {
      throw new ConfigError(
        `${where('endpoint')}: "${out.endpoint}" is not a URL`,
        'adapters.kinesis.endpoint',
        {
          hint: 'e.g. http://localhost:4567',
        },
      );
    }
  }
  return out as KinesisSettings;
}
