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

export interface ConfirmOptions {
  /** The answer that confirms instead of y: a production context's name, typed whole. */
  readonly typeToConfirm?: string;
  /** Where the answer is read (default stdin) and the question written (default stderr). */
  readonly input?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly output?: NodeJS.WritableStream;
}

/**
 * Asks before a destructive action. With `yes` it proceeds at once; on a terminal it asks `question`
 * (default no) — in a production context, for the context's name to be typed; without a terminal it
 * refuses, since nobody can answer.
 * @throws NotConfirmedError when the answer is not yes (or not the name).
 */
export async function confirm(question: string, yes: boolean, options: ConfirmOptions = {}): Promise<void> {
  if (yes) return;
  const input = options.input ?? process.stdin;
  if (!input.isTTY) {
    throw new NotConfirmedError(
      `${question} — not confirmed: stdin is not a terminal`,
      'add --yes to confirm',
    );
  }
  const rl = createInterface({ input, output: options.output ?? process.stderr });
  const name = options.typeToConfirm;
  try {
    if (name === undefined) {
      const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
      if (answer !== 'y' && answer !== 'yes')
        throw new NotConfirmedError('cancelled', 'answer y, or pass --yes');
      return;
    }
    const answer = (
      await rl.question(`${question}\nThis is the production context "${name}": type its name to confirm: `)
    ).trim();
    if (answer !== name) {
      throw new NotConfirmedError(
        `cancelled: "${answer}" is not the context's name`,
        `type ${name} exactly, or pass --yes`,
      );
    }
  } finally {
    rl.close();
  }
}
