/**
 * Credentials never leave the process in output: every URI shown in logs, errors, `--json` and the TUI,
 * and every text agentctl stores about an agent (source, last error), goes through these.
 *
 * What counts as a credential:
 * - the whole userinfo of a URI (`scheme://USERINFO@host`): a user alone is often a token
 *   (`amqp://TOKEN@host`, `http://ACCESS_KEY@endpoint`), so user and password are both replaced;
 * - the value of a query parameter whose name says it is secret (`password`, `token`, `secretAccessKey`, …);
 * - both of these in URIs nested inside another URI's query (`kinesis://S?endpoint=http://KEY:SECRET@h`),
 *   also percent-encoded (`endpoint=http%3A%2F%2FKEY%40h`).
 */

/** `%3A`, `%253A`, …: a character percent-encoded once or more. */
const enc = (hex: string): string => `%(?:25)*${hex}`;

/** Characters that end a URI's authority in free text, JSON text or quotes (besides `/`, `?`, `#`). */
const OUTSIDE = `\\s"'<>\`\\\\`;

/** `scheme://userinfo@`, the userinfo up to the authority's last `@` (as WHATWG URL parsing takes it). */
const USERINFO = new RegExp(`([a-z][a-z0-9+.-]*://)[^/?#${OUTSIDE}]*@`, 'gi');

/** The same, percent-encoded inside a query value: `http%3A%2F%2FKEY%40host`. */
const ENCODED_USERINFO = new RegExp(
  `([a-z][a-z0-9+.-]*${enc('3A')}${enc('2F')}${enc('2F')})(?:(?!${enc('2F')}|${enc('3F')}|${enc('23')})[^&/?#${OUTSIDE}])*(${enc('40')})`,
  'gi',
);

const SECRET_NAME =
  '[a-z0-9_.-]*(?:password|passwd|pwd|secret|token|credential|signature|api_?key|access_?key(?:_?id)?|private_?key)[a-z0-9_.-]*';

/** `?name=value` / `&name=value` with a secret-sounding name. */
const SECRET_PARAM = new RegExp(`([?&;]${SECRET_NAME}=)[^&#${OUTSIDE}]+`, 'gi');

/** The same, percent-encoded inside a query value: `%3Ftoken%3Dvalue`. */
const ENCODED_SECRET_PARAM = new RegExp(
  `((?:${enc('3F')}|${enc('26')})${SECRET_NAME}${enc('3D')})(?:(?!${enc('26')})[^&#${OUTSIDE}])+`,
  'gi',
);

/** Cheap test first: most texts (error messages) hold neither a URI, an encoded one, nor a parameter. */
const MAY_HOLD_SECRET = /:\/\/|%(?:25)*3A|=/i;

/** A URI with its userinfo (user and password) and secret-looking query parameters replaced by `***`. */
export function redactUri(uri: string): string {
  return redactSecrets(uri);
}

/** Any text with every URI userinfo and secret query parameter in it replaced by `***`. */
export function redactSecrets(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  return text
    .replace(USERINFO, '$1***@')
    .replace(ENCODED_USERINFO, '$1***$2')
    .replace(SECRET_PARAM, '$1***')
    .replace(ENCODED_SECRET_PARAM, '$1***');
}

/**
 * A copy of a JSON-like value with every string in it (keys excepted) passed through `redactSecrets`:
 * for snapshots and records written to the store or printed whole.
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactSecrets(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
