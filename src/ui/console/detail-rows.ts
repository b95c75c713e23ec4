import { printable } from '../text/printable.js';

/** Columns a tab stands for. */
const TAB = '    ';

/**
 * The screen rows of `lines` in `width` columns. A line that does not fit is wrapped at its last space
 * that fits, when the word after it fits on a row (so ids and URLs stay whole), else cut at the width;
 * its continuation rows keep the line's indentation (up to half the width), so that nested JSON stays
 * readable. Controls are shown escaped
 * (`printable`). Characters are counted as one column each: a row of wide characters may be cut at the
 * right edge.
 */
export function wrapLines(lines: readonly string[], width: number): string[] {
  const columns = Math.max(8, width);
  return lines.flatMap((line) => wrapLine([...printable(line).replaceAll('\t', TAB)], columns));
}

function wrapLine(chars: readonly string[], width: number): string[] {
  if (chars.length <= width) return [chars.join('')];
  let indent = 0;
  while (chars[indent] === ' ') indent++;
  const pad = Array<string>(Math.min(indent, Math.floor(width / 2))).fill(' ');
  const rows: string[] = [];
  let rest = chars;
  let prefix: readonly string[] = [];
  let lead = indent;
  while (prefix.length + rest.length > width) {
    const room = width - prefix.length;
    const space = rest.lastIndexOf(' ', room);
    const next = rest.indexOf(' ', space + 1);
    const word = (next < 0 ? rest.length : next) - (space + 1);
    // A word that fits on a row of its own moves there whole (ids stay whole, to be copied).
    const wordBreak = space > lead && word <= width - pad.length;
    const cut = wordBreak ? space : room;
    rows.push([...prefix, ...rest.slice(0, cut)].join(''));
    rest = rest.slice(wordBreak ? cut + 1 : cut);
    prefix = pad;
    lead = 0;
  }
  if (rest.length > 0) rows.push([...prefix, ...rest].join(''));
  return rows;
}
