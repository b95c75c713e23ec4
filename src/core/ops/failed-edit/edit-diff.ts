import { parsedJson, utf8Text } from '../../events/payload-text.js';
import type { Bytes } from '../../types.js';

/**
 * One difference an edit makes: at a JSON path (`data.items[0].sku`; empty for the whole payload), the
 * value before and after as JSON text (absent when the path is added or removed). Payloads that are not
 * both JSON differ as one whole text (base64 when not UTF-8).
 */
export interface EditChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
}

/** What changes from `before` to `after`, path by path, in the order the paths first appear. */
export function editChanges(before: Bytes, after: Bytes): EditChange[] {
  const a = parsedJson(before);
  const b = parsedJson(after);
  if (a === undefined || b === undefined) {
    const [x, y] = [asText(before), asText(after)];
    return x === y ? [] : [{ path: '', before: x, after: y }];
  }
  const left = leaves(a.value);
  const right = leaves(b.value);
  const changes: EditChange[] = [];
  for (const [path, value] of left) {
    const other = right.get(path);
    if (other === undefined) changes.push({ path, before: value });
    else if (other !== value) changes.push({ path, before: value, after: other });
  }
  for (const [path, value] of right) if (!left.has(path)) changes.push({ path, after: value });
  return changes;
}

function asText(raw: Bytes): string {
  const text = utf8Text(raw);
  return text === undefined ? `base64:${Buffer.from(raw).toString('base64')}` : JSON.stringify(text);
}

/** Every leaf of a JSON value (a scalar, or an empty object or array) by its path, as JSON text. */
function leaves(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v])
    : typeof value === 'object' && value !== null
      ? Object.entries(value).map(([k, v]) => [path === '' ? k : `${path}.${k}`, v])
      : [];
  if (entries.length === 0) into.set(path, JSON.stringify(value));
  for (const [p, v] of entries) leaves(v, p, into);
  return into;
}
