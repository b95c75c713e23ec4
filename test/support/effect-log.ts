import { existsSync, readFileSync } from 'node:fs';

/**
 * The effect logs of the process tests: a child agent appends one record per effect to a file
 * (`appendFileSync`), and the test reads the records back to prove what ran, after killing children
 * with SIGKILL.
 *
 * A SIGKILL can cut such an append in two: Linux copies a write into the page cache a page at a time and
 * stops between two pages once a fatal signal is pending, so a record that crosses a page boundary may be
 * left half-written. The next writer's record would then be glued to that half (`evt-15` + `evt-1503 …`
 * reads as one line `evt-15evt-1503 …`) and the test would count an event as lost that ran (this happened
 * once in CI, issue 13). So every writer starts its record on a line of its own (`effectRecord`: a newline
 * before and after), and readers keep whole records only (`wholeRecords`): a record is whole when the
 * newline after it is followed by another newline (the next record's first byte) or ends the file.
 */

/** The text to append for one effect record (`text` holds no newline). */
export function effectRecord(text: string): string {
  return `\n${text}\n`;
}

/**
 * The same as `effectRecord`, as source code for a generated agent config: `expression` is a JavaScript
 * expression of the record's text.
 */
export function effectRecordSource(expression: string): string {
  return `'\\n' + ${expression} + '\\n'`;
}

/** The whole records of an effect log's text, in order; a record cut by a kill is left out. */
export function wholeRecords(text: string): string[] {
  const parts = text.split('\n');
  const records: string[] = [];
  // parts[i + 1] is '' exactly when the newline after parts[i] is followed by a newline or ends the text.
  for (let i = 0; i < parts.length - 1; i++)
    if (parts[i] !== '' && parts[i + 1] === '') records.push(parts[i]!);
  return records;
}

/** The whole records of the effect log at `path` (none when it does not exist yet). */
export function readEffectRecords(path: string): string[] {
  return existsSync(path) ? wholeRecords(readFileSync(path, 'utf8')) : [];
}
