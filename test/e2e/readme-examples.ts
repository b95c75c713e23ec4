/**
 * Extracts every command example from README.md. An example's identity is its exact text: the command
 * line as written, without a trailing `# comment` and surrounding blanks.
 *
 * What counts as an example:
 * - every line of a fenced block tagged `sh`, `bash`, `shell` or `console` (a leading `$ ` prompt is
 *   dropped, `\` continuations are joined, blank and comment-only lines are skipped);
 * - in an untagged fenced block only lines starting with `$ ` (an untagged block is output, such as
 *   the TUI screen);
 * - an indented (4 spaces) code line outside fences that starts with a command word;
 * - an inline code span in prose that starts with a command word and is an invocation rather than a
 *   name: it has a flag (`--x`) or at least three words (`agentctl failed list`, `npm run demo`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const README = resolve(import.meta.dirname, '../../README.md');

const SHELL_TAGS = new Set(['sh', 'bash', 'shell', 'console']);
const COMMAND_WORDS = /^(agentctl|npx|npm|node|git|cat|sqlite3)\s/;

export interface ReadmeExample {
  /** The exact command text: the identity of the example. */
  readonly text: string;
  /** 1-based line of the README where it is. */
  readonly line: number;
  readonly kind: 'block' | 'inline';
}

/** Drops a trailing `# comment` that is outside quotes (a `#` inside a word, as in `@host#4711`, stays). */
export function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

function isInvocation(span: string): boolean {
  if (!COMMAND_WORDS.test(`${span} `)) return false;
  return /(^|\s)--?[a-z]/.test(span) || span.trim().split(/\s+/).length >= 3;
}

export function extractExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n');
  const found: ReadmeExample[] = [];
  const add = (text: string, line: number, kind: ReadmeExample['kind']) => {
    const trimmed = text.trim();
    if (trimmed.length > 0 && !found.some((e) => e.text === trimmed))
      found.push({ text: trimmed, line, kind });
  };
  let fence: { tag: string } | undefined;
  let pending: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const fenceMatch = /^\s*```\s*([a-z]*)/.exec(raw);
    if (fenceMatch) {
      fence = fence === undefined ? { tag: fenceMatch[1] ?? '' } : undefined;
      continue;
    }
    if (fence !== undefined) {
      const shell = SHELL_TAGS.has(fence.tag);
      let text = raw.trim();
      if (text.startsWith('$ ')) text = text.slice(2);
      else if (!shell) continue;
      if (pending !== undefined) {
        text = `${pending.text} ${text}`;
      }
      const start = pending?.line ?? i + 1;
      pending = undefined;
      if (text.endsWith('\\')) {
        pending = { text: text.slice(0, -1).trimEnd(), line: start };
        continue;
      }
      const command = stripComment(text);
      if (command.length > 0) add(command, start, 'block');
      continue;
    }
    if (/^ {4}\S/.test(raw) && COMMAND_WORDS.test(`${raw.trim()} `)) {
      add(stripComment(raw.trim()), i + 1, 'block');
      continue;
    }
    for (const span of raw.matchAll(/`([^`]+)`/g)) {
      const code = span[1]!.trim();
      if (isInvocation(code)) add(code, i + 1, 'inline');
    }
  }
  return found;
}

/** The examples of this repository's README.md. */
export function readmeExamples(path = README): ReadmeExample[] {
  return extractExamples(readFileSync(path, 'utf8'));
}
