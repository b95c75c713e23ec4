import { dirname, join, resolve } from 'node:path';

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

/** Whether a module's source requires `agentctl` (CommonJS), which jiti would otherwise load a copy of. */
export function requiresLibrary(source: string): boolean {
  return REQUIRES_LIBRARY.test(source);
}

/** Relative specifiers a source names: `require('./x')`, `import('./x')`, `import './x'`, `… from './x'`. */
const RELATIVE = /(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bimport\s+|\bfrom\s*)['"](\.{1,2}\/[^'"\n]+)['"]/g;

/** Extensions tried for a specifier written without one (as jiti resolves it). */
const EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

/** Files a specifier may name, in the order they are tried (`./x.js` may be `./x.ts` in TypeScript). */
function candidates(file: string): string[] {
  const found = [file, ...EXTENSIONS.map((ext) => file + ext)];
  const typed = file.replace(/\.([cm]?)js$/, '.$1ts');
  if (typed !== file) found.push(typed);
  found.push(...EXTENSIONS.map((ext) => join(file, `index${ext}`)));
  return found;
}

/** At most this many modules are read looking for `require('agentctl')`. */
const MAX_MODULES = 200;

/**
 * Whether the config at `path`, or a module of the user's it reaches through relative imports and
 * requires, requires `agentctl`: a CommonJS helper module (`steps.js` with `require('agentctl')`) gets a
 * copy of the library from jiti unless the loaded one is handed over, and its `FatalError` is then not
 * the engine's. A static look at the sources, so it errs on the side of loading the library: `read`
 * gives a file's text, or `undefined` when there is none.
 */
export function reachesLibrary(path: string, read: (path: string) => string | undefined): boolean {
  const seen = new Set<string>([path]);
  const sources: (string | undefined)[] = [read(path)];
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i];
    if (source === undefined) continue;
    if (requiresLibrary(source)) return true;
    const from = dirname([...seen][i]!);
    for (const [, specifier] of source.matchAll(RELATIVE)) {
      for (const file of candidates(resolve(from, specifier!))) {
        if (seen.has(file)) break;
        const text = read(file);
        if (text === undefined) continue;
        seen.add(file);
        sources.push(text);
        if (seen.size > MAX_MODULES) return true;
        break;
      }
    }
  }
  return false;
}
