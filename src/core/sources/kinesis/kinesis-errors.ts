/**
 * How the shard reader and the sink classify what the SDK throws. SDK errors carry the service's error
 * name (`ProvisionedThroughputExceededException`), `$fault` (`client`/`server`) and `$retryable`.
 */

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSThrottlingException',
]);

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

interface SdkLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: { readonly throttling?: boolean };
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** The service's error name (`ExpiredIteratorException`), or the error's own name or code. */
export function errorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as SdkLike;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  return typeof e.code === 'string' ? e.code : 'Error';
}

/** Kinesis asks the caller to slow down: back off with jitter before trying again. */
export function isThrottling(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLike;
  return (
    THROTTLING.has(errorName(error)) ||
    e.$retryable?.throttling === true ||
    e.$metadata?.httpStatusCode === 429
  );
}

/**
 * Trying again later may help: throttling, a server fault, or the endpoint not answering. A client fault
 * (missing stream, bad argument, access denied) will not pass by itself.
 */
export function isTransient(error: unknown): boolean {
  if (isThrottling(error)) return true;
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLike;
  if (e.$fault === 'server') return true;
  if (e.$fault === 'client') return false;
  const name = errorName(error);
  return NETWORK.has(name) || name === 'TimeoutError' || name === 'AbortError' || name === 'InternalFailure';
}

/** The endpoint could not be reached at all (as opposed to answering with an error). */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as SdkLike;
  return (
    e.$metadata?.httpStatusCode === undefined &&
    (NETWORK.has(errorName(error)) || errorName(error) === 'TimeoutError')
  );
}
