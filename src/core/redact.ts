/**
 * Credentials never leave the process in output: every URI shown in logs, errors, `--json` and the TUI
 * goes through these.
 */

const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+)(?::([^/@\s]*))?@/gi;
const SECRET_PARAMS =
  /([?&](?:password|passwd|pwd|secret|token|access_?key|secret_?access_?key|sessiontoken|api_?key|x-amz-security-token)=)([^&\s#]+)/gi;

/** A URI with its password (and secret-looking query parameters) replaced by `***`. */
export function redactUri(uri: string): string {
  return redactSecrets(uri);
}

/** Any text with every URI password and secret query parameter in it replaced by `***`. */
export function redactSecrets(text: string): string {
  return text
    .replace(USERINFO, (_, scheme: string, user: string, password: string | undefined) =>
      password === undefined ? `${scheme}${user}@` : `${scheme}${user}:***@`,
    )
    .replace(SECRET_PARAMS, '$1***');
}
