import type { Options } from 'amqplib';
import { UsageError } from '../../errors/usage-error.js';
import { redactUri } from '../../redact.js';

/** The local broker, used when neither a URL nor `AMQP_URL` says otherwise. */
export const DEFAULT_AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

export const AMQP_URI_HELP =
  'amqp://USER:PASSWORD@HOST:5672/VHOST?queue=NAME[&type=classic|quorum|stream][&prefetch=N] (amqps:// for TLS)';

/** Where a broker is and how to log in: what `amqplib.connect` needs, plus a redacted form for display. */
export interface AmqpServer {
  /** Connection options for amqplib (credentials included: never print). */
  readonly connect: Options.Connect;
  readonly tls: boolean;
  /** The vhost, `/` by default. */
  readonly vhost: string;
  /** `host:port/vhost`, without credentials. */
  readonly address: string;
  /** The URI as given, credentials redacted. */
  readonly display: string;
  /** Query parameters of the URI (agentctl's own options: `queue`, `type`, `prefetch`, …). */
  readonly params: URLSearchParams;
}

/**
 * Parses an `amqp://` or `amqps://` URI. An empty path or `/` is the default vhost `/`; any other path is
 * the vhost, percent-decoded (`/%2F` is `/` too). The query holds agentctl's options, read by the caller;
 * `heartbeat` (seconds) and `frameMax` are connection settings. @throws UsageError for anything else.
 */
export function parseAmqpUri(uri: string, what = 'source'): AmqpServer {
  const display = redactUri(uri);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new UsageError(`invalid ${what} "${display}": not a valid URL`, { hint: AMQP_URI_HELP });
  }
  const protocol = url.protocol.replace(/:$/, '').toLowerCase();
  if (protocol !== 'amqp' && protocol !== 'amqps') {
    throw new UsageError(`invalid ${what} "${display}": expected amqp:// or amqps://`, {
      hint: AMQP_URI_HELP,
    });
  }
  const tls = protocol === 'amqps';
  const hostname = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = url.port === '' ? (tls ? 5671 : 5672) : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  const vhost = path === '' ? '/' : decodeURIComponent(path);
  const params = url.searchParams;
  const connect: Options.Connect = {
    protocol,
    hostname,
    port,
    username: url.username === '' && url.password === '' ? 'guest' : decodeURIComponent(url.username),
    password: url.username === '' && url.password === '' ? 'guest' : decodeURIComponent(url.password),
    vhost,
    ...(params.has('frameMax') ? { frameMax: positive(params, 'frameMax', display, what) } : {}),
  };
  return {
    connect,
    tls,
    vhost,
    address: `${hostname}:${port}${vhost === '/' ? '' : `/${vhost}`}`,
    display,
    params,
  };
}

/** A positive integer query parameter, or `undefined` when absent. @throws UsageError when malformed. */
export function positive(params: URLSearchParams, name: string, display: string, what = 'source'): number {
  const raw = params.get(name) ?? '';
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`invalid ${what} "${display}": ${name} must be a positive integer, got "${raw}"`, {
      hint: AMQP_URI_HELP,
    });
  }
  return value;
}

/** A boolean query parameter (`true`/`1`/`yes` or `false`/`0`/`no`), or `undefined` when absent. */
export function flag(params: URLSearchParams, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  return /^(1|true|yes|on|)$/i.test(raw);
}
