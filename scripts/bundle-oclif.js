#!/usr/bin/env node
/**
 * Replaces dist/cli/vendor/oclif.js (tsc's re-exports of `@oclif/core/args`, `/command`, `/config`, …) with
 * those parts of oclif and everything they require bundled into one minified module (run by
 * `npm run build`, after tsc). Every `agentctl` process loads oclif first: Node resolved, statted, read
 * and compiled its ~100 CommonJS files one by one (oclif, minimatch, ejs, debug, …), ~35 ms of the
 * ~150 ms of CPU of `agentctl --version`. The bundle is oclif's own code; what oclif loads only on
 * request stays outside (TypeScript and ts-node for a `.ts` plugin, other oclif plugins), as do the
 * chunks oclif imports lazily (written beside it as `oclif-*.js`). Generated, never committed; made again
 * whenever tsc rewrites the re-exports or the installed oclif changes version.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist/cli/vendor/oclif.js');
const { version } = createRequire(import.meta.url)('@oclif/core/package.json');
const stamp = `/* @oclif/core ${version} bundled */`;
const current = readFileSync(target, 'utf8');
// tsc's incremental build leaves an unchanged file alone: a bundle of the same oclif already there stays.
if (!current.startsWith(stamp)) {
  const rolldown = await import('rolldown').catch((error) => {
    // Without a bundler (a platform rolldown has no binary for) oclif loads from its own files: slower, same.
    console.warn(`bundle-oclif: oclif left unbundled (${error.message})`);
    return undefined;
  });
  if (rolldown !== undefined) {
    const dir = dirname(target);
    for (const name of readdirSync(dir)) if (/^oclif-.*\.js$/.test(name)) rmSync(join(dir, name));
    const entry = join(dir, 'oclif.entry.js');
    writeFileSync(entry, current.replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n'));
    try {
      await rolldown.build({
        input: { oclif: entry },
        platform: 'node',
        logLevel: 'warn',
        // Loaded by oclif only for a plugin written in TypeScript, or a plugin of its own: not ours to fix.
        external: [
          /^typescript(\/|$)/,
          /^ts-node(\/|$)/,
          /^tsx(\/|$)/,
          /^source-map-support(\/|$)/,
          /^@oclif\/plugin-/,
        ],
        output: {
          dir,
          format: 'esm',
          minify: true,
          sourcemap: false,
          entryFileNames: '[name].js',
          chunkFileNames: 'oclif-[name].js',
        },
      });
    } finally {
      rmSync(entry, { force: true });
    }
    writeFileSync(target, `${stamp}\n${readFileSync(target, 'utf8')}`);
    rmSync(`${target}.map`, { force: true });
  }
}
