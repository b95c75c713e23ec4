#!/usr/bin/env node
/**
 * Replaces dist/core/vendor/zod.js (tsc's `export { z } from 'zod'`) with the part of zod the compiled code
 * uses, bundled into that one file (run by `npm run build`, after tsc). Node resolves, reads and compiles
 * ~100 separate files for zod's entry point, and zod's `z` namespace carries every locale it ships: every
 * `agentctl` process validates its config, and loading all of that cost more CPU than the short commands
 * themselves (`status`, `failed list`). The bundle's `z` holds the members `dist` reads from it (`z.string`,
 * `z.object`, …, found by scanning the compiled files), each exactly the installed zod's own; types still
 * come from zod. It is generated, never committed, and made again whenever the members used change.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const target = join(dist, 'core/vendor/zod.js');

/**
 * Every `z.NAME` the compiled code outside the vendor folders reads, sorted. The vendor folders hold
 * bundles (this one's and dist/cli/vendor's oclif), whose minified `z` is some other variable.
 */
function membersUsed() {
  const found = new Set();
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== 'vendor') walk(path);
      } else if (name.endsWith('.js')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/\bz\.([A-Za-z_$][\w$]*)/g))
          found.add(match[1]);
      }
    }
  };
  walk(dist);
  return [...found].sort();
}

const members = membersUsed();
const stamp = `/* zod members: ${members.join(' ')} */`;
const current = readFileSync(target, 'utf8');
// tsc's incremental build leaves an unchanged file alone: a bundle of the same members already there stays.
if (!current.startsWith(stamp)) {
  const rolldown = await import('rolldown').catch((error) => {
    // Without a bundler (a platform rolldown has no binary for) zod loads from its own files: slower, same.
    console.warn(`bundle-vendor: zod left unbundled (${error.message})`);
    return undefined;
  });
  if (rolldown !== undefined) {
    // `enum` is a reserved word: each member is imported under an alias.
    const imports = members.map((name, i) => `${name} as m${i}`).join(', ');
    const object = members.map((name, i) => `${JSON.stringify(name)}: m${i}`).join(', ');
    writeFileSync(
      target,
      `import { ${imports} } from 'zod';\nexport const z = Object.freeze({ ${object} });\n`,
    );
    await rolldown.build({
      input: target,
      platform: 'node',
      logLevel: 'warn',
      output: { file: target, format: 'esm', minify: true, sourcemap: false },
    });
    writeFileSync(target, `${stamp}\n${readFileSync(target, 'utf8')}`);
  }
}
