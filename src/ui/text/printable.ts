/**
 * Text from events, payloads and errors is the sender's, not agentctl's: printed raw, an ESC sequence in an
 * event type clears the operator's screen or rewrites what it shows, a bidi override reverses it. Every
 * text renderer passes such text through `printable`; `--json` (which escapes it anyway) and `--raw` keep
 * the bytes exact.
 */

/**
 * C0 controls but tab and newline, DEL, C1 controls (ESC's 8-bit twins such as CSI U+009B), and the
 * invisible characters that reorder or hide text: bidi marks, embeddings, overrides and isolates, and the
 * line and paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is what it is for
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escaped(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control and invisible reordering character shown as an escape (`\x1b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escaped);
}
