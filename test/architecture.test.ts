import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return /\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Import {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

/** Static and dynamic imports of a file (comments are not stripped; specifiers are unambiguous). */
function importsOf(path: string): Import[] {
  const text = readFileSync(path, 'utf8');
  const found: Import[] = [];
  for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gms)) {
    found.push({ specifier: m[3]!, typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm))
    found.push({ specifier: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g))
    found.push({ specifier: m[1]!, typeOnly: false });
  return found;
}

function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${target}.ts`, `${target}.tsx`, join(target, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {}
  }
  return undefined;
}

/** Every cycle a depth-first walk of `graph` closes, each as the list of its nodes (first repeated last). */
function cyclesOf(graph: ReadonlyMap<string, Iterable<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

const all = files(src);
const layer = (path: string) => relative(src, path).split('/')[0];

describe('architecture', () => {
  it('core imports neither oclif, ink, react, ui, cli nor commands', () => {
    const offences: string[] = [];
    for (const file of all.filter((f) => layer(f) === 'core')) {
      for (const { specifier } of importsOf(file)) {
        const target = resolveLocal(file, specifier);
        const bad =
          /^(@oclif\/|ink($|\/)|ink-|react($|\/))/.test(specifier) ||
          (target !== undefined && ['ui', 'commands', 'cli'].includes(layer(target)!));
        if (bad) offences.push(`${relative(root, file)} → ${specifier}`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('ui imports neither oclif, cli nor commands', () => {
    const offences: string[] = [];
    for (const file of all.filter((f) => layer(f) === 'ui')) {
      for (const { specifier } of importsOf(file)) {
        const target = resolveLocal(file, specifier);
        if (
          /^@oclif\//.test(specifier) ||
          (target !== undefined && ['commands', 'cli'].includes(layer(target)!))
        ) {
          offences.push(`${relative(root, file)} → ${specifier}`);
        }
      }
    }
    expect(offences).toEqual([]);
  });

  /** The cycles between files of src, each as `a → b → a`; with `types`, type imports count too. */
  const fileCycles = (types: boolean) => {
    const graph = new Map<string, string[]>();
    for (const file of all) {
      graph.set(
        file,
        importsOf(file)
          .filter((i) => types || !i.typeOnly)
          .map((i) => resolveLocal(file, i.specifier))
          .filter((t): t is string => t !== undefined),
      );
    }
    return cyclesOf(graph).map((loop) => loop.map((f) => relative(src, f)).join(' → '));
  };

  it('has no runtime import cycles', () => {
    expect(fileCycles(false)).toEqual([]);
  });

  it('has no import cycles between files, type imports included', () => {
    expect(fileCycles(true)).toEqual([]);
  });

  it('has no import cycles between the folders of src/core (type imports included)', () => {
    const core = join(src, 'core');
    // A folder of src/core is a room; a file directly in src/core is a room of its own; the package
    // index stands above everything and is left out.
    const room = (file: string) => {
      const parts = relative(core, file).split('/');
      return parts.length === 1 ? parts[0]! : `${parts[0]}/`;
    };
    const edges = new Map<string, Map<string, string>>();
    for (const file of all.filter((f) => f.startsWith(`${core}/`) && relative(core, f) !== 'index.ts')) {
      for (const { specifier } of importsOf(file)) {
        const target = resolveLocal(file, specifier);
        if (target === undefined || !target.startsWith(`${core}/`)) continue;
        const [from, to] = [room(file), room(target)];
        if (from === to) continue;
        if (!edges.has(from)) edges.set(from, new Map());
        if (!edges.get(from)!.has(to))
          edges.get(from)!.set(to, `${relative(src, file)} → ${relative(src, target)}`);
      }
    }
    const rooms = new Map([...edges].map(([from, to]) => [from, [...to.keys()]] as const));
    const cycles = cyclesOf(rooms).map((loop) =>
      loop
        .slice(1)
        .map((to, k) => edges.get(loop[k]!)!.get(to))
        .join(', '),
    );
    expect(cycles).toEqual([]);
  });

  it('keeps the version in step with package.json', async () => {
    const { VERSION } = await import('../src/core/version.js');
    expect(VERSION).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });
});
