import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../errors/usage-error.js';
import { PRIVATE_FILE_MODE } from '../../private-files.js';

/** A file an editor worked on: what it holds now, and where it is until `remove()`. */
export interface EditedFile {
  readonly text: string;
  /** Private: 0600, in a directory of its own (0700). */
  readonly path: string;
  /** Deletes the file and its directory. */
  remove(): void;
}

/** The editor a user asked for: `$VISUAL`, else `$EDITOR`, else `vi` (may carry arguments, as in git). */
export function editorCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.VISUAL?.trim() || env.EDITOR?.trim() || 'vi';
}

/**
 * Writes `text` to `name` in a new private temporary directory, runs the editor on it (through `sh`, so
 * `EDITOR="code --wait"` works; it gets this terminal), waits for it and reads the file back. The caller
 * removes the file once it has what it needs, or keeps it (to point the user at it).
 * Blocks until the editor exits: the caller suspends any UI that holds the terminal first.
 * @throws UsageError (nothing kept) when the editor cannot be started or exits with a failure.
 */
export function editInEditor(text: string, name: string, env: NodeJS.ProcessEnv = process.env): EditedFile {
  // mkdtemp creates the directory 0700; the file is created 0600 before anything is written to it.
  const dir = mkdtempSync(join(tmpdir(), 'agentctl-edit-'));
  const path = join(dir, name);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    writeFileSync(path, text, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    const editor = editorCommand(env);
    const run = spawnSync('sh', ['-c', `${editor} "$1"`, 'agentctl-editor', path], {
      stdio: 'inherit',
      env,
    });
    if (run.error !== undefined) throw new UsageError(`cannot start the editor: ${run.error.message}`);
    if (run.status === 127) {
      throw new UsageError(`the editor "${editor}" was not found: nothing changed`, {
        hint: 'set VISUAL or EDITOR to an editor that waits until you close the file',
      });
    }
    if (run.status !== 0) {
      const how = run.signal === null ? `with status ${run.status}` : `on ${run.signal}`;
      throw new UsageError(`the editor "${editor}" exited ${how}: nothing changed`);
    }
    return { text: readFileSync(path, 'utf8'), path, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
