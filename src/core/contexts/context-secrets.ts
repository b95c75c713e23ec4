import { UsageError } from '../errors/usage-error.js';

/**
 * Contexts keep no secret in clear: where a URI needs a password (or a secret query parameter such as
 * `token=`), the context holds a placeholder `${NAME}` instead, and the value is taken from the
 * environment variable NAME each time the context is used (inserted percent-encoded).
 */

/** `${NAME}`: an environment variable's name in a URI of a context. */
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_PLACEHOLDER = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

/** `scheme://user:password@` anywhere in the text (URIs nested in a query included). */
const PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/?#\s:@]*:([^/?#\s@]*)@/gi;

/** `?name=value` / `&name=value` whose name says it is secret (as core/redact.ts takes them). */
const SECRET_PARAM =
  /[?&;]([a-z0-9_.-]*(?:password|passwd|pwd|secret|token|credential|signature|api_?key|access_?key(?:_?id)?|private_?key)[a-z0-9_.-]*)=([^&#\s]*)/gi;

/**
 * What in `uri` would be stored in clear: each password of a URI and each secret query parameter whose
 * value is not a whole `${NAME}` placeholder (empty when there is none).
 */
export function secretsInClear(uri: string): string[] {
  const found: string[] = [];
  for (const match of uri.matchAll(PASSWORD)) {
    const password = decodeURIComponent(match[1] ?? '');
    if (password !== '' && !WHOLE_PLACEHOLDER.test(password)) found.push('a password');
  }
  for (const match of uri.matchAll(SECRET_PARAM)) {
    const value = decodeURIComponent(match[2] ?? '');
    if (value !== '' && !WHOLE_PLACEHOLDER.test(value)) found.push(`the value of ${match[1]}`);
  }
  return found;
}

/** The environment variables the placeholders of `uri` name, in order. */
export function placeholdersOf(uri: string): string[] {
  return [...uri.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/**
 * `uri` with each `${NAME}` replaced by the value of the environment variable NAME, percent-encoded.
 * @throws UsageError naming the context, the setting and the variable when one is not set.
 */
export function expandPlaceholders(
  uri: string,
  env: NodeJS.ProcessEnv,
  where: { readonly context: string; readonly setting: string },
): string {
  return uri.replace(PLACEHOLDER, (_, name: string) => {
    const value = env[name];
    if (value === undefined) {
      throw new UsageError(
        `context "${where.context}": ${where.setting} needs the environment variable ${name}, which is not set`,
        {
          hint: `export ${name}=… (contexts keep no secrets: the ${where.setting} URI names ${name} instead)`,
        },
      );
    }
    return encodeURIComponent(value);
  });
}
