import { describeError } from '../../errors/agentctl-error.js';
import { SourceUnavailableError } from '../../errors/source-unavailable-error.js';
import { UsageError } from '../../errors/usage-error.js';
import { redactUri } from '../../redact.js';

/** How long one management API request may take (default 10 s). */
const REQUEST_TIMEOUT_MS = 10_000;

/** A RabbitMQ management HTTP API endpoint: its base URL (no credentials) and how to log in. */
export interface ManagementEndpoint {
  /** `http(s)://host:port[/prefix]`, without credentials or a trailing slash. */
  readonly base: string;
  /** The URL as given, credentials redacted. */
  readonly display: string;
  readonly username: string;
  readonly password: string;
}

/**
 * Reads `--management-url`: `http[s]://[USER:PASS@]HOST:15672[/PREFIX]`. Without credentials in it, the
 * AMQP URI's user and password are used (the management API takes the same users).
 * @throws UsageError for anything but an http(s) URL.
 */
export function managementEndpoint(
  url: string,
  fallback: { readonly username: string; readonly password: string },
): ManagementEndpoint {
  const display = redactUri(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid --management-url "${display}": not a valid URL`, {
      hint: 'e.g. --management-url http://127.0.0.1:15672',
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`invalid --management-url "${display}": expected http:// or https://`, {
      hint: 'e.g. --management-url http://127.0.0.1:15672',
    });
  }
  const given = parsed.username !== '' || parsed.password !== '';
  const username = given ? decodeURIComponent(parsed.username) : fallback.username;
  const password = given ? decodeURIComponent(parsed.password) : fallback.password;
  parsed.username = '';
  parsed.password = '';
  const base = `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
  return { base, display, username, password };
}

/**
 * GETs `path` (below `/api/`) as JSON. `undefined` when the API answers 404 (no such queue or vhost).
 * @throws SourceUnavailableError when the API cannot be reached, refuses the login or answers otherwise.
 */
export async function managementGet<T>(
  endpoint: ManagementEndpoint,
  path: string,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const auth = Buffer.from(`${endpoint.username}:${endpoint.password}`).toString('base64');
  const deadline = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(`${endpoint.base}/api/${path}`, {
      headers: { authorization: `Basic ${auth}`, accept: 'application/json' },
      signal: signal === undefined ? deadline : AbortSignal.any([signal, deadline]),
    });
  } catch (error) {
    const why =
      error instanceof Error && error.cause !== undefined ? describeError(error.cause) : describeError(error);
    throw new SourceUnavailableError(
      `the RabbitMQ management API at ${endpoint.display} does not answer (${why})`,
      {
        cause: error,
        hint: 'check --management-url and that the plugin is on: rabbitmq-plugins enable rabbitmq_management',
      },
    );
  }
  if (response.status === 404) return undefined;
  if (response.status === 401 || response.status === 403) {
    throw new SourceUnavailableError(
      `the RabbitMQ management API at ${endpoint.display} refused the login (HTTP ${response.status})`,
      {
        hint: 'give a user with the management (or monitoring) tag: http://USER:PASS@HOST:15672, or the AMQP URI’s user',
      },
    );
  }
  if (!response.ok) {
    throw new SourceUnavailableError(
      `the RabbitMQ management API at ${endpoint.display} answered HTTP ${response.status} to GET /api/${path}`,
      { hint: 'check --management-url' },
    );
  }
  return (await response.json()) as T;
}
