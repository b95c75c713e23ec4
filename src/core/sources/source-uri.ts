import { UsageError } from '../errors/usage-error.js';
import { redactUri } from '../redact.js';

/** The source kinds agentctl reads, by URI scheme. */
export type SourceKind = 'local' | 'file' | 'kinesis' | 'amqp';

export interface ParsedSourceUri {
  readonly kind: SourceKind;
  /** The URI as given. Contains credentials: never print it; use `display`. */
  readonly uri: string;
  readonly display: string;
  /** `local:` topic, `file:` path, Kinesis stream name, AMQP queue name. */
  readonly name: string;
  readonly params: URLSearchParams;
}

export const SOURCE_URI_HELP =
  'sources are URIs: local: or local:TOPIC (embedded log), file:PATH.ndjson, kinesis://STREAM?region=R&endpoint=URL, amqp://HOST:5672/VHOST?queue=NAME (credentials as user:password@HOST)';

/** Parses a source URI. @throws UsageError naming what is wrong and the accepted forms. */
export function parseSourceUri(uri: string): ParsedSourceUri {
  const display = redactUri(uri);
  const fail = (why: string): never => {
    throw new UsageError(`invalid source "${display}": ${why}`, { hint: SOURCE_URI_HELP });
  };
  const colon = uri.indexOf(':');
  if (colon <= 0) fail('missing scheme');
  const scheme = uri.slice(0, colon).toLowerCase();
  switch (scheme) {
    case 'local': {
      const name = uri.slice(colon + 1).replace(/^\/\//, '') || 'events';
      if (!/^[A-Za-z0-9._-]+$/.test(name))
        fail('a local topic name may only use letters, digits, ".", "_" and "-"');
      return { kind: 'local', uri, display, name, params: new URLSearchParams() };
    }
    case 'file': {
      const rest = uri.slice(colon + 1);
      const path = rest.startsWith('//') ? decodeURIComponent(new URL(uri).pathname) : rest;
      if (path.length === 0) fail('missing file path');
      return { kind: 'file', uri, display, name: path, params: new URLSearchParams() };
    }
    case 'kinesis':
      return { kind: 'kinesis', uri, display, ...kinesisStreamOf(uri, fail) };
    case 'amqp':
    case 'amqps': {
      const url = safeUrl(uri, fail);
      const name = url.searchParams.get('queue') ?? '';
      if (!name) fail('missing ?queue=NAME');
      return { kind: 'amqp', uri, display, name, params: url.searchParams };
    }
    default:
      return fail(`unknown scheme "${scheme}:"`);
  }
}

/** The stream name and parameters of a `kinesis://STREAM?…` URI (source or sink); `fail` says what is wrong. */
export function kinesisStreamOf(
  uri: string,
  fail: (why: string) => never,
): { readonly name: string; readonly params: URLSearchParams } {
  const url = safeUrl(uri, fail);
  const name = decodeURIComponent(url.hostname || url.pathname.replace(/^\/+/, ''));
  if (!name) fail('missing stream name (kinesis://STREAM)');
  return { name, params: url.searchParams };
}

function safeUrl(uri: string, fail: (why: string) => never): URL {
  try {
    return new URL(uri);
  } catch {
    return fail('not a valid URL');
  }
}
