import { describe, expect, it } from 'vitest';
import { textLists } from '../../../src/core/store/postgres/pg-connection.js';

/** What the server makes of a `textLists` parameter: `(string_to_array(list, separator))[2:]`. */
function serverSplit(list: string, separator: string): string[] {
  return list === '' ? [] : list.split(separator).slice(1);
}

describe('textLists', () => {
  it('Given lists of plain texts, When encoded, Then each splits back to its elements, empty ones included', () => {
    const [a, b, separator] = textLists(['x', '', 'y'], []);
    expect(serverSplit(a!, separator!)).toEqual(['x', '', 'y']);
    expect(serverSplit(b!, separator!)).toEqual([]);
  });

  it('Given texts holding every single-character separator, When encoded, Then a separator none holds is used', () => {
    const list = ['\x1e', '\x1f', '\x1d', '\x1c', '\x1e0\x1e'];
    const [encoded, separator] = textLists(list);
    expect(list.some((v) => v.includes(separator!))).toBe(false);
    expect(serverSplit(encoded!, separator!)).toEqual(list);
  });

  it('Given a text holding NUL, When encoded, Then it carries U+FFFD instead (PostgreSQL text holds no NUL)', () => {
    const [encoded, separator] = textLists(['a\u0000b']);
    expect(serverSplit(encoded!, separator!)).toEqual(['a\ufffdb']);
  });
});
