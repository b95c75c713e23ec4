import { Environment } from '@marcbachmann/cel-js';
import { UsageError } from '../errors/usage-error.js';

/**
 * What a `--where` expression can see of one kind of item: the names of its variables, and how an item
 * becomes their values. Every variable is dynamically typed (an event's `data` has no schema), so a
 * comparison of the wrong types is found when it is evaluated, not when it is compiled.
 */
export interface WhereSubject<T> {
  /** Said in errors: "a failed item", "an event", "a run". */
  readonly noun: string;
  /** Each variable with what it holds, for `--help` texts and the error naming an unknown variable. */
  readonly variables: Readonly<Record<string, string>>;
  /** The values of the variables for one item (a plain object; absent fields are `null`). */
  bind(item: T): Record<string, unknown>;
}

/**
 * A compiled `--where` expression (CEL, https://cel.dev): parsed and type-checked once, then evaluated per
 * item. An item matches when the expression is `true`. An item the expression cannot be evaluated on (a
 * key its event does not have, `"a" < 1`) does not match; `skipped` counts those and `firstError` keeps
 * the first reason, so a command can say why fewer items matched than the user expected (CEL's `has()`
 * tests for a key first: `has(event.data.region) && event.data.region == "eu"`).
 */
export class Where<T> {
  skipped = 0;
  firstError: string | undefined;

  private constructor(
    readonly expression: string,
    private readonly subject: WhereSubject<T>,
    private readonly program: (context: Record<string, unknown>) => unknown,
  ) {}

  /**
   * Parses and checks `expression` for `subject`'s variables.
   * @throws UsageError (exit 2) naming the position of a syntax error, an unknown variable or a result
   *   that is not true/false.
   */
  static compile<T>(expression: string, subject: WhereSubject<T>, flag = '--where'): Where<T> {
    const env = new Environment({ homogeneousAggregateLiterals: false });
    for (const name of Object.keys(subject.variables)) env.registerVariable(name, 'dyn');
    const known = `variables of ${subject.noun}: ${Object.keys(subject.variables).join(', ')}`;
    if (expression.trim() === '') throw new UsageError(`${flag} is empty`, { hint: known });
    const checked = env.check(expression);
    if (!checked.valid) {
      throw new UsageError(`${flag} is not a valid CEL filter${pointAt(expression, checked.error)}`, {
        hint: known,
      });
    }
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      throw new UsageError(
        `${flag} ${JSON.stringify(expression)} gives ${/^[aeiou]/.test(checked.type ?? '') ? 'an' : 'a'} ${checked.type}, not true or false`,
        { hint: 'compare it with something, e.g. event.type == "order.created"' },
      );
    }
    const program = env.parse(expression);
    return new Where(expression, subject, (context) => program(context));
  }

  /** Whether `item` matches; an item the expression fails on does not (see `skipped`). */
  matches(item: T): boolean {
    try {
      const result = this.program(this.subject.bind(item));
      if (result === true) return true;
      if (result !== false) this.skip(`it gives ${typeof result}, not true or false`);
      return false;
    } catch (error) {
      this.skip(message(error).split('\n')[0]!);
      return false;
    }
  }

  /** One line for the end of a command's output when items were skipped, else undefined. */
  skippedNote(): string | undefined {
    if (this.skipped === 0) return undefined;
    const items =
      this.skipped === 1 ? `1 ${this.subject.noun.replace(/^an? /, '')}` : `${this.skipped} items`;
    return `--where could not be evaluated on ${items} (not matched): ${this.firstError}`;
  }

  private skip(reason: string): void {
    this.skipped++;
    this.firstError ??= reason;
  }
}

/** CEL's message: its first line says what is wrong (the rest repeats the expression). */
function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).trimEnd();
}

/**
 * `at column N: WHAT`, then the expression and a caret under the fault. The caret's line begins with
 * dashes, not spaces: error output re-indents continuation lines, which would move a caret led by spaces.
 */
function pointAt(expression: string, error: unknown): string {
  const what = message(error).split('\n')[0];
  const start = (error as { range?: { start?: unknown } } | undefined)?.range?.start;
  if (typeof start !== 'number') return `: ${what}`;
  const lines = expression.split('\n');
  let line = 0;
  let column = start;
  while (line < lines.length - 1 && column > lines[line]!.length) {
    column -= lines[line]!.length + 1;
    line++;
  }
  const shown = lines[line]!;
  const indent = shown.length - shown.trimStart().length;
  const where = lines.length > 1 ? `line ${line + 1}, column ${column + 1}` : `column ${column + 1}`;
  return ` at ${where}: ${what}\n${shown.trimStart()}\n${'-'.repeat(Math.max(0, column - indent))}^`;
}
