import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, onTestFinished } from 'vitest';

/**
 * A fresh real temp directory, removed when the current test finishes (called inside a test) or after
 * each test of the suite (called at suite level).
 */
export function tempDir(prefix = 'agentctl-'): string {
  const base = join(tmpdir(), 'agentctl-tests');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, prefix));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(cleanup);
  } catch {
    afterEach(cleanup);
  }
  return dir;
}
