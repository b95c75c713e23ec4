/**
 * How `FailedFilter.search` runs on SQLite. A text with a word in it is looked up in `failed_search`, the
 * FTS5 index of migration 10 (`unicode61 remove_diacritics 2`): its words, in order and next to each
 * other, case and accents ignored (`ev-42`, `connection refused`, `Ünïcode`); a `*` at the end makes the
 * last word a prefix (`ord-4a*`, `timeout*`). Only that final `*` is syntax: the text is quoted into one
 * FTS5 phrase, so `-`, `:`, `"`, `AND`, `NEAR` are plain text and cannot make the query fail. A prefix is
 * opt-in because FTS5 reads every word it covers (a short one on a large store costs seconds), where a
 * phrase of whole words is read only as far as the page asked for. A text without a letter or digit
 * (`->`, `%`) has no word to look up: it is a substring scan of every item.
 */
/** What a search text turns into: an FTS5 MATCH expression, or a scan for a substring. */
export type SearchPlan =
  | { readonly kind: 'index'; readonly match: string }
  | { readonly kind: 'scan'; readonly needle: string };

/** Letters, digits and private-use characters: what the unicode61 tokenizer makes words of. */
const WORD_CHARACTER = /[\p{L}\p{N}\p{Co}]/u;

/** The plan for a (non-empty) search text. */
export function searchPlan(text: string): SearchPlan {
  const words = text.replace(/\*+$/, '');
  if (!WORD_CHARACTER.test(words)) return { kind: 'scan', needle: text.toLowerCase() };
  const phrase = `"${words.replaceAll('"', '""')}"`;
  return { kind: 'index', match: words === text ? phrase : `${phrase} *` };
}

/** The SQL function of a scan: `agentctl_search(needle, field…)`. */
export const SEARCH_FUNCTION = 'agentctl_search';

/** 1 when any field contains `needle` (already lower-case), ignoring case; blobs are read as UTF-8. */
export function containsText(needle: string, ...fields: (string | Buffer | null)[]): number {
  for (const field of fields) {
    if (field === null) continue;
    const text = typeof field === 'string' ? field : field.toString('utf8');
    if (text.toLowerCase().includes(needle)) return 1;
  }
  return 0;
}
