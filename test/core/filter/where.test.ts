import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors/usage-error.js';
import { Where, type WhereSubject } from '../../../src/core/filter/where.js';

interface Item {
  readonly type: string;
  readonly data: Record<string, unknown> | null;
}

const items: WhereSubject<Item> = {
  noun: 'an item',
  variables: { event: 'the event', kind: 'its type' },
  bind: (item) => ({
    event: item.data === null ? null : { type: item.type, data: item.data },
    kind: item.type,
  }),
};

describe('Where (CEL --where)', () => {
  it('matches the items the expression is true for, over nested event data', () => {
    const where = Where.compile('kind == "a" && event.data.n > 1 && "x" in event.data.tags', items);
    expect(where.matches({ type: 'a', data: { n: 2, tags: ['x'] } })).toBe(true);
    expect(where.matches({ type: 'a', data: { n: 1, tags: ['x'] } })).toBe(false);
    expect(where.matches({ type: 'b', data: { n: 2, tags: ['x'] } })).toBe(false);
    expect(where.skipped).toBe(0);
    expect(where.skippedNote()).toBeUndefined();
  });

  it('counts the items it cannot be evaluated on as not matched, keeping the first reason', () => {
    const where = Where.compile('event.data.n > 1', items);
    expect(where.matches({ type: 'a', data: null })).toBe(false);
    expect(where.matches({ type: 'a', data: {} })).toBe(false);
    expect(where.matches({ type: 'a', data: { n: 5 } })).toBe(true);
    expect(where.skipped).toBe(2);
    expect(where.skippedNote()).toBe(
      '--where could not be evaluated on 2 items (not matched): No such key: data',
    );
    const guarded = Where.compile('has(event.data.n) && event.data.n > 1', items);
    expect(guarded.matches({ type: 'a', data: {} })).toBe(false);
    expect(guarded.skipped).toBe(0);
  });

  it('does not match a dynamic expression that gives something other than true or false', () => {
    const where = Where.compile('event.type', items);
    expect(where.matches({ type: 'a', data: {} })).toBe(false);
    expect(where.skippedNote()).toBe(
      '--where could not be evaluated on 1 item (not matched): it gives string, not true or false',
    );
  });

  it('refuses, with the column and the whole CEL message, what cannot compile', () => {
    const refused = (expression: string): UsageError => {
      try {
        Where.compile(expression, items, '--filter');
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return error as UsageError;
      }
      throw new Error(`${expression} compiled`);
    };
    const syntax = refused('kind == "a" &&');
    expect(syntax.message).toMatch(/^--filter is not a valid CEL filter at column 15: Unexpected token: EOF/);
    // The expression, and a caret under the fault led by dashes (error output re-indents spaces away).
    expect(syntax.message.split('\n').slice(1)).toEqual(['kind == "a" &&', `${'-'.repeat(14)}^`]);
    const second = refused('kind == "a" &&\n  knd == "b"');
    expect(second.message.split('\n')).toEqual([
      '--filter is not a valid CEL filter at line 2, column 3: Unknown variable: knd',
      'knd == "b"',
      '^',
    ]);
    expect(syntax.hint).toBe('variables of an item: event, kind');
    expect(refused('knd == "a"').message).toContain('at column 1: Unknown variable: knd');
    expect(refused('size(kind)').message).toContain('gives an int, not true or false');
    expect(refused('  ').message).toBe('--filter is empty');
  });
});
