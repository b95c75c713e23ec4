import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors/config-error.js';
import { RuleError } from '../../../src/core/errors/rule-error.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';

const event = (type: string, data: unknown = {}): CloudEvent => ({
  specversion: '1.0',
  id: '1',
  source: 's',
  type,
  data,
});

describe('RuleSet.evaluate', () => {
  const rules = new RuleSet([
    rule({ name: 'any-submission', on: 'submission.*', process: 'audit' }),
    rule({
      name: 'big-finalized',
      on: ['submission.finalized'],
      when: (e) => (e.data as { pages: number }).pages > 10,
      process: 'overlap-check',
      params: (e) => ({ pages: (e.data as { pages: number }).pages }),
    }),
    rule({ name: 'everything', on: '*', process: 'count' }),
  ]);

  it('given an event, returns the matching processes in declaration order with their params', () => {
    expect(rules.evaluate(event('submission.finalized', { pages: 12 }))).toEqual([
      { rule: 'any-submission', process: 'audit', params: undefined },
      { rule: 'big-finalized', process: 'overlap-check', params: { pages: 12 } },
      { rule: 'everything', process: 'count', params: undefined },
    ]);
  });

  it('skips a rule whose condition is false and matches nothing for an unknown type but the wildcard', () => {
    expect(rules.evaluate(event('submission.finalized', { pages: 3 })).map((m) => m.rule)).toEqual([
      'any-submission',
      'everything',
    ]);
    expect(rules.evaluate(event('user.created')).map((m) => m.rule)).toEqual(['everything']);
  });

  it('is deterministic: the same event gives the same answer every time', () => {
    const e = event('submission.finalized', { pages: 40 });
    expect(rules.evaluate(e)).toEqual(rules.evaluate(e));
  });

  it('a rule that throws is reported as a RuleError naming the rule', () => {
    const broken = new RuleSet([
      rule({
        name: 'reads-missing-field',
        on: 'x',
        when: (e) => (e.data as { a: { b: number } }).a.b > 1,
        process: 'p',
      }),
    ]);
    const error = (() => {
      try {
        broken.evaluate(event('x', {}));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RuleError);
    expect((error as RuleError).rule).toBe('reads-missing-field');
  });

  it('refuses two rules with one name', () => {
    expect(
      () =>
        new RuleSet([rule({ name: 'a', on: 'x', process: 'p' }), rule({ name: 'a', on: 'y', process: 'q' })]),
    ).toThrow(ConfigError);
  });
});
