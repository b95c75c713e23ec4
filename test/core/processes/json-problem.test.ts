import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonProblem, MAX_JSON_DEPTH } from '../../../src/core/processes/json-problem.js';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { v: value } : [value];
  return value;
}

function stringifies(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

describe('jsonProblem', () => {
  it('Given any JSON value, Then there is no problem', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 20 }), (value) => jsonProblem(value) === undefined));
  });

  it('Given any value, When it finds no problem, Then JSON.stringify does not throw on it', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withDate: true }),
        (value) => {
          expect(jsonProblem(value) === undefined).toBe(stringifies(value));
        },
      ),
    );
  });

  it('Given nesting up to the limit, Then it passes; one level more fails, saying where', () => {
    expect(jsonProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonProblem(nested(MAX_JSON_DEPTH + 1))).toMatch(/^nested deeper than 256 levels, at \.v\[0\]\.v/);
    expect(jsonProblem(nested(100_000))).toMatch(/^nested deeper than 256 levels/);
  });

  it('Given a BigInt, a cycle, or a throwing toJSON or getter, Then it says which and where', () => {
    expect(jsonProblem(10n)).toBe('a BigInt at the top (convert it to a string or a number)');
    expect(jsonProblem({ items: [{ amount: 10n }] })).toBe(
      'a BigInt at .items[0].amount (convert it to a string or a number)',
    );
    const loop: Record<string, unknown> = { a: { b: {} } };
    (loop.a as { b: Record<string, unknown> }).b.back = loop;
    expect(jsonProblem(loop)).toMatch(/^a circular reference at \.a\.b\.back\.a/);
    expect(
      jsonProblem({
        when: {
          toJSON: () => {
            throw new Error('no clock');
          },
        },
      }),
    ).toBe('reading .when threw: no clock');
    expect(
      jsonProblem({
        get broken() {
          throw new Error('gone');
        },
      }),
    ).toBe('reading .broken threw: gone');
  });

  it('Given what JSON.stringify turns into JSON (toJSON, a BigInt with toJSON, dates), Then there is no problem', () => {
    expect(jsonProblem({ at: new Date(0), big: { toJSON: () => '10' }, shared: [{}, {}] })).toBeUndefined();
    const shared = { x: 1 };
    expect(jsonProblem({ a: shared, b: shared, c: [shared, shared] })).toBeUndefined();
  });
});
