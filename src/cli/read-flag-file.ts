/**
 * The bytes of the file a flag names. A file that cannot be read (missing, a directory, no permission) is
 * the user's error, said with the flag and the path: `UsageError` (exit 2), not an unexpected error.
 */
export async function readFlagFile(flag: string, path: string): Promise<Buffer> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (error) {
    const { UsageError } = await import('../core/errors/usage-error.js');
    throw new UsageError(`cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}
