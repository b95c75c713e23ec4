import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TransformOptions, TransformResult } from 'jiti';
import { PRIVATE_FILE_MODE } from '../private-files.js';

type Transform = (options: TransformOptions) => TransformResult;

const require = createRequire(import.meta.url);

/** jiti's own babel transform, loaded on its first use (loading it costs more than most commands). */
let babel: Transform | undefined;
export function jitiTransform(options: TransformOptions): TransformResult {
  babel ??= require(join(dirname(require.resolve('jiti/package.json')), 'dist', 'babel.cjs')) as Transform;
  return babel(options);
}

/** jiti's version, part of every key (read on the first transform, not by every process that loads configs). */
let jitiVersion: string | undefined;
function jitiVersionOnce(): string {
  jitiVersion ??= (require('jiti/package.json') as { version: string }).version;
  return jitiVersion;
}

/**
 * jiti's transform of a config (TypeScript → JavaScript), cached in `directory` under a digest of what
 * determines its output: the source, the options, jiti's version and, only when the source reads
 * `import.meta` (which the transform writes in as the file's own URL), the file's path. jiti's own cache is
 * keyed by the file's path, so the same config in a new directory (a copied project, a fresh checkout, each
 * test's temp directory) paid for babel again: ~0.4 s of CPU per process. A failed transform is not cached
 * (its error names the file); a cache that cannot be read or written only costs the transform.
 * Files are written 0600 (a config holds credentials), each whole or not at all (written aside, renamed).
 */
export function cachedConfigTransform(directory: string): Transform {
  return (options) => {
    const { source, filename, ...rest } = options;
    const digest = createHash('sha256')
      .update(JSON.stringify([jitiVersionOnce(), rest, source.includes('import.meta') ? filename : null]))
      .update('\0')
      .update(source)
      .digest('hex');
    const path = join(directory, `${digest}.js`);
    try {
      return { code: readFileSync(path, 'utf8') };
    } catch {
      // not cached yet (or unreadable): transform it
    }
    const result = jitiTransform(options);
    if (result.error === undefined && !result.code.includes('__JITI_ERROR__')) {
      const aside = `${path}.${process.pid}.tmp`;
      try {
        writeFileSync(aside, result.code, { mode: PRIVATE_FILE_MODE });
        renameSync(aside, path);
      } catch {
        // a cache that cannot be written only costs the next process the transform
      }
    }
    return result;
  };
}
