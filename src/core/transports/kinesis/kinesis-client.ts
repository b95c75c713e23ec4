import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';
import { readGetRecordsDirectly } from './get-records-reader.js';
import type { KinesisSettings } from './kinesis-settings.js';

const CONNECTION_TIMEOUT_MS = 5_000;
/** How long a call may wait for Kinesis to start answering (`GetRecords` answers in well under a second). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Where the SDK looks for credentials besides the instance/container metadata services. */
const CREDENTIAL_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
] as const;

/** True when the environment names credentials (env keys, a profile, a shared credentials or config file). */
export function credentialsConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (CREDENTIAL_ENV.some((key) => (env[key] ?? '') !== '')) return true;
  const home = homedir();
  const files = [
    env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws', 'credentials'),
    env.AWS_CONFIG_FILE ?? join(home, '.aws', 'config'),
  ];
  return files.some((file) => existsSync(file));
}

/**
 * A Kinesis client (`@aws-sdk/client-kinesis` v3) over HTTP/1.1 keep-alive (`NodeHttpHandler`: the SDK's
 * default HTTP/2 handler fails against kinesalite and buys nothing for this request/response API).
 *
 * Region: `settings.region`, else the SDK's chain (`AWS_REGION`, profile), else `us-east-1` when an
 * endpoint is set (a local emulator does not care). Credentials: the SDK's default provider chain, except
 * that a client for an `endpoint` with no credentials configured anywhere gets dummy ones, so kinesalite
 * and LocalStack work out of the box without probing the instance metadata service.
 *
 * Every call has a deadline: 5 s to connect and `requestTimeoutMs` (default 10 s) for the answer to
 * start, and as long without a byte while it arrives — an endpoint that accepts connections and never
 * answers fails the call with a `TimeoutError` instead of hanging it (the SDK's own request timeout only
 * logs a warning unless told to throw). The SDK retries throttling and transient failures, timeouts
 * included, itself `maxAttempts` times (default 3) before the caller sees the error, so a call against a
 * silent endpoint fails after about `maxAttempts × requestTimeoutMs`. Successful `GetRecords` answers are
 * read by `readGetRecords` (the same output, for a fraction of the SDK's CPU per record).
 */
export function createKinesisClient(
  settings: KinesisSettings = {},
  env: NodeJS.ProcessEnv = process.env,
): KinesisClient {
  const client = new KinesisClient({
    ...clientConfig(settings, env),
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      socketTimeout: settings.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  });
  readGetRecordsDirectly(client);
  return client;
}

/** Most time a subscription may go without an event: Kinesis sends one at least every 5 seconds. */
export const SUBSCRIPTION_SILENCE_MS = 30_000;

/**
 * A Kinesis client over HTTP/2 (`NodeHttp2Handler`) for `SubscribeToShard`, which only works over HTTP/2;
 * same region, endpoint and credentials as `createKinesisClient`. An event stream silent for 30 s (no
 * event, not even the idle ones Kinesis sends every few seconds — or a reader holding back while its
 * buffer is full) is closed with a `TimeoutError`; the reader subscribes again from where it was. One
 * attempt per call: the reader backs off and subscribes again itself.
 */
export function createKinesisHttp2Client(
  settings: KinesisSettings = {},
  env: NodeJS.ProcessEnv = process.env,
): KinesisClient {
  return new KinesisClient({
    ...clientConfig(settings, env),
    maxAttempts: 1,
    requestHandler: new NodeHttp2Handler({
      requestTimeout: Math.max(SUBSCRIPTION_SILENCE_MS, settings.requestTimeoutMs ?? 0),
      sessionTimeout: Math.max(SUBSCRIPTION_SILENCE_MS, settings.requestTimeoutMs ?? 0),
    }),
  });
}

function clientConfig(settings: KinesisSettings, env: NodeJS.ProcessEnv) {
  // The SDK warns on stderr, once per process, that future versions will need Node 22; agentctl supports
  // Node 20 and keeps stderr for errors an operator can act on. An explicit setting is respected.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = settings.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const local = settings.endpoint !== undefined;
  return {
    ...(region !== undefined ? { region } : local ? { region: 'us-east-1' } : {}),
    ...(local ? { endpoint: settings.endpoint } : {}),
    ...(local && !credentialsConfigured(env)
      ? { credentials: { accessKeyId: 'agentctl-local', secretAccessKey: 'agentctl-local' } }
      : {}),
  };
}
