import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors/usage-error.js';

/** Files `agentctl init` writes, copied from the example agent shipped in the package. */
const FILES = [
  { from: 'agentctl.config.ts', to: 'agentctl.config.ts' },
  { from: 'events.ndjson', to: 'events.ndjson' },
] as const;

function exampleDir(): string {
  // src/core/ops or dist/core/ops → package root → examples/submission-agent
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'submission-agent');
}

export interface ScaffoldResult {
  readonly dir: string;
  readonly written: readonly string[];
}

/**
 * Writes a working agent config and a sample events file into `dir`. Refuses to overwrite existing
 * files unless `force`. @throws UsageError naming the files in the way.
 */
export async function scaffold(dir: string, force = false): Promise<ScaffoldResult> {
  const target = resolve(dir);
  const source = exampleDir();
  const existing = FILES.filter((f) => existsSync(join(target, f.to))).map((f) => f.to);
  if (existing.length > 0 && !force) {
    throw new UsageError(
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''} in ${target}`,
      {
        hint: 'use --force to overwrite, or --dir to scaffold elsewhere',
      },
    );
  }
  await mkdir(target, { recursive: true });
  // Written, not copied: a copy keeps the packaged file's mode, where a new file follows the user's umask.
  for (const file of FILES) await writeFile(join(target, file.to), await readFile(join(source, file.from)));
  return { dir: target, written: FILES.map((f) => join(target, f.to)) };
}
