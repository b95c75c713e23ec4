/** The light entry a config can import instead of the whole library (src/core/config/index.ts). */
export const CONFIG_ENTRY = 'agentctl/config';

/** jiti's transform of `import { a, b } from 'agentctl'`: one namespace variable, read as `_agentctl.a`. */
const STATIC_IMPORT = /\bvar ([A-Za-z_$][\w$]*) = await jitiImport\("agentctl"\);/g;

/**
 * Points a transpiled config's `import { … } from 'agentctl'` at `agentctl/config` when every name it
 * reads from `agentctl` is one `agentctl/config` exports (`entryNames`), so that a config written
 * before the light entry existed (or written by hand against `agentctl`) loads without the whole
 * engine. The values are the same either way: `agentctl/config` re-exports the very modules the
 * library exports. Anything else — a namespace or default import, `export *`, a name only the library
 * has, the namespace passed around whole, more than one static import — is left as it is: the config
 * then loads the library, as it always did. `code` is jiti's (babel's) output, where a named import
 * becomes `var _agentctl = await jitiImport("agentctl");` and each use `_agentctl.name`.
 */
export function narrowAgentctlImport(code: string, entryNames: ReadonlySet<string>): string {
  const imports = [...code.matchAll(STATIC_IMPORT)];
  if (imports.length !== 1) return code;
  const [statement, variable] = imports[0] as unknown as [string, string];
  const rest = code.replace(statement, '');
  const uses = new RegExp(
    `(?<![\\w$])${variable.replace(/\$/g, '\\$')}(?![\\w$])(\\.([A-Za-z_$][\\w$]*))?`,
    'g',
  );
  for (const use of rest.matchAll(uses)) {
    const name = use[2];
    if (name === undefined || !entryNames.has(name)) return code;
  }
  return code.replace(statement, statement.replace('"agentctl"', JSON.stringify(CONFIG_ENTRY)));
}

/** `require('agentctl')` (or `require("agentctl")`): a CommonJS config that needs the library itself. */
const REQUIRES_LIBRARY = /\brequire\s*\(\s*['"]agentctl['"]\s*\)/;

/** Whether a config's source requires `agentctl` (CommonJS), which jiti would otherwise load a copy of. */
export function requiresLibrary(source: string): boolean {
  return REQUIRES_LIBRARY.test(source);
}
