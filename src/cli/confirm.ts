import { createInterface } from 'node:readline/promises';

/** Raised when a destructive action was not confirmed; a user error with a clear way out. */
export class NotConfirmedError extends Error {
  readonly userFacing = true;
  readonly code = 'NOT_CONFIRMED';
  readonly kind = 'input';
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message);
    this.name = 'NotConfirmedError';
    this.hint = hint;
  }
}

/**
 * Asks before a destructive action. With `yes` it proceeds at once; on a terminal it asks `question`
 * (default no); without a terminal it refuses, since nobody can answer.
 * @throws NotConfirmedError when the answer is not yes.
 */
export async function confirm(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new NotConfirmedError(
      `${question} — not confirmed: stdin is not a terminal`,
      'add --yes to confirm',
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes')
      throw new NotConfirmedError('cancelled', 'answer y, or pass --yes');
  } finally {
    rl.close();
  }
}
