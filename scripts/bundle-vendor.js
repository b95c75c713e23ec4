#!/usr/bin/env node
/**
 * Replaces dist/core/vendor/zod.js (tsc's `export { z } from 'zod'`) with zod bundled into that one file
 * (run by `npm run build`, after tsc). Node resolves, reads and compiles ~100 separate files for zod's
 * entry point; one file does the same work in about half the CPU, and every CLI process loads it. The
 * bundle holds exactly the installed zod, so behaviour does not change; it is generated, never committed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'dist/core/vendor/zod.js');
// tsc's incremental build leaves an unchanged file alone: a bundle already there stays.
if (/from ['"]zod['"]/.test(readFileSync(target, 'utf8'))) {
  const rolldown = await import('rolldown').catch((error) => {
    // Without a bundler (a platform rolldown has no binary for) zod loads from its own files: slower, same.
    console.warn(`bundle-vendor: zod left unbundled (${error.message})`);
    return undefined;
  });
  await rolldown?.build({
    input: target,
    platform: 'node',
    logLevel: 'warn',
    output: { file: target, format: 'esm', minify: true, sourcemap: false },
  });
}
