import { isBuiltin } from 'node:module';

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

/** Module specifiers written as string literals: `… from 'x'`, `import 'x'`, `import('x')`, `require('x')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])([^'"\n]*)\1/g;
/** `require('agentctl')`, in any quotes and spacing. */
const REQUIRES_LIBRARY = /\brequire\s*\(\s*['"]agentctl['"]\s*\)/;
/** A `require(…)` or `import(…)` of anything but one string literal (a path computed at run time), or `createRequire`. */
const COMPUTED = /\b(?:require|import)\s*\(\s*(?!['"][^'"\n]*['"]\s*\))|\bcreateRequire\b/;

/**
 * Whether a config must be handed the loaded library (jiti's `virtualModules`) rather than leave jiti to
 * resolve `agentctl` itself. jiti imports an ES module natively (the engine's own instance), but a
 * `require` of one — the config's, or that of any module it reaches: a CommonJS helper, an `.mjs` or
 * TypeScript file jiti transpiles for a `require`, a package — runs a copy of its own, whose `FatalError`
 * is not the engine's (a fatal step was retried) and whose sink registry the engine never reads. Which
 * modules a config reaches cannot be told from its text (`package.json` mains, computed paths, modules of
 * modules), so the library is handed over unless the config's only imports are `agentctl/config`,
 * `agentctl` (statically imported: native) and Node's built-in modules — the config `agentctl init`
 * writes, which then loads without the engine.
 */
export function needsLibrary(source: string): boolean {
  if (REQUIRES_LIBRARY.test(source) || COMPUTED.test(source)) return true;
  for (const [, , specifier] of source.matchAll(SPECIFIER)) {
    if (specifier === CONFIG_ENTRY || specifier === 'agentctl' || isBuiltin(specifier!)) continue;
    return true;
  }
  return false;
}
