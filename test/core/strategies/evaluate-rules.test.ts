import { describe, expect, it } from 'vitest';
import { RuleError } from '../../../src/core/errors/rule-error.js';
import type { CloudEvent } from '../../../src/core/events/cloud-event.js';
import { rule } from '../../../src/core/rules/rule.js';
import { RuleSet } from '../../../src/core/rules/rule-set.js';
import { LatestMessages } from '../../../src/core/state/latest-messages.js';
import { EvaluateRules, type Evaluation } from '../../../src/core/strategies/evaluate-rules.js';
import { InvalidMessage, MessageRejected } from '../../../src/core/strategies/processing-strategy.js';
import type { Message } from '../../../src/core/types.js';
import { Collect, CommitLog } from '../../support/collect.js';
import { message, nth } from '../../support/messages.js';
import { FAILING_INDEX, strategyBehaviour } from './strategy-behaviour.js';

interface Order {
  readonly amount: number;
}

/**
 * The i-th event, by `i % 4`: an `audit.ping` no rule matches, an `order.created`, an `order.paid`, and an
 * `order.created` of amount 0 that no rule's `when` accepts.
 */
function eventOf(i: number): CloudEvent<Order> {
  const types = ['audit.ping', 'order.created', 'order.paid', 'order.created'] as const;
  return {
    specversion: '1.0',
    id: `e${i}`,
    type: types[i % 4]!,
    source: 'test',
    data: { amount: i % 4 === 3 ? 0 : i + 1 },
  };
}

function eventAt(i: number, event: CloudEvent = eventOf(i)): Message<CloudEvent> {
  const at = nth(i);
  return message<CloudEvent>(event, {
    partition: at.partition,
    position: at.position,
    timestamp: at.timestamp,
  });
}

const amountOf = (event: CloudEvent) => (event.data as Order).amount;

/** `bill` any order with an amount, then `notify` paid ones. */
function orderRules(when: (event: CloudEvent) => boolean = (e) => amountOf(e) > 0): RuleSet {
  return new RuleSet([
    rule({ name: 'bill', on: 'order.*', when, process: 'billing', params: (e) => ({ amount: amountOf(e) }) }),
    rule({ name: 'notify', on: 'order.paid', process: 'notification' }),
  ]);
}

strategyBehaviour(
  'EvaluateRules',
  (next, ctx) => new EvaluateRules(orderRules(), ctx.commit, next),
  (i) => eventAt(i),
  {
    failing: (next, ctx) =>
      new EvaluateRules(
        orderRules((e) => {
          if (e.id === `e${FAILING_INDEX}`) throw ctx.failure;
          return amountOf(e) > 0;
        }),
        ctx.commit,
        next,
      ),
  },
);

function ruleFailure(strategy: EvaluateRules, input: Message<CloudEvent>): InvalidMessage {
  try {
    strategy.submit(input);
  } catch (error) {
    if (error instanceof InvalidMessage) return error;
    throw error;
  }
  throw new Error('submit did not throw');
}

describe('EvaluateRules', () => {
  it('given events some rules match, when submitted, then matched ones are forwarded with their matches in rule order', () => {
    const next = new Collect<Evaluation>();
    const log = new CommitLog();
    const strategy = new EvaluateRules(orderRules(), log.commit, next);
    for (const i of [1, 2]) strategy.submit(eventAt(i));
    expect(next.payloads).toEqual([
      { event: eventOf(1), matches: [{ rule: 'bill', process: 'billing', params: { amount: 2 } }] },
      {
        event: eventOf(2),
        matches: [
          { rule: 'bill', process: 'billing', params: { amount: 3 } },
          { rule: 'notify', process: 'notification', params: undefined },
        ],
      },
    ]);
    expect(next.messages.map((m) => [m.partition, m.position])).toEqual([
      ['p1', '0'],
      ['p2', '0'],
    ]);
    expect(log.entries).toEqual([]);
  });

  it('given events no rule matches (by type or by `when`), when submitted, then they are committed as unmatched and not forwarded', () => {
    const next = new Collect<Evaluation>();
    const log = new CommitLog();
    const strategy = new EvaluateRules(orderRules(), log.commit, next);
    const inputs = [0, 1, 3, 4].map((i) => eventAt(i));
    for (const input of inputs) strategy.submit(input);
    expect(next.payloads.map((e) => e.event.id)).toEqual(['e1']);
    expect(log.entries).toEqual([
      { message: inputs[0], outcome: 'unmatched' },
      { message: inputs[2], outcome: 'unmatched' },
      { message: inputs[3], outcome: 'unmatched' },
    ]);
  });

  it('given a rule whose `when` throws, when submitted, then it is an InvalidMessage with reason rule naming the rule', () => {
    const thrown = new TypeError('data is not an order');
    const next = new Collect<Evaluation>();
    const log = new CommitLog();
    const strategy = new EvaluateRules(
      orderRules(() => {
        throw thrown;
      }),
      log.commit,
      next,
    );
    const input = eventAt(1);
    const error = ruleFailure(strategy, input);
    expect(error.reason).toBe('rule');
    expect(error.rule).toBe('bill');
    expect(error.subject).toBe(input);
    expect(error.cause).toBeInstanceOf(RuleError);
    expect((error.cause as RuleError).cause).toBe(thrown);
    expect(next.messages).toEqual([]);
    expect(log.entries).toEqual([]);
  });

  it('given a rule whose `params` throws, when submitted, then the InvalidMessage names that rule, not the ones before it', () => {
    const rules = new RuleSet([
      rule({ name: 'first', on: '*', process: 'a' }),
      rule({
        name: 'second',
        on: 'order.*',
        process: 'b',
        params: () => {
          throw new Error('no params');
        },
      }),
    ]);
    const error = ruleFailure(new EvaluateRules(rules, new CommitLog().commit, new Collect()), eventAt(1));
    expect(error.rule).toBe('second');
  });

  it('given a next step that rejects, when the message is submitted again, then rules run once and nothing is committed', () => {
    let evaluations = 0;
    const next = new Collect<Evaluation>().rejectNext(2);
    const log = new CommitLog();
    const strategy = new EvaluateRules(
      orderRules((e) => {
        evaluations++;
        return amountOf(e) > 0;
      }),
      log.commit,
      next,
    );
    const input = eventAt(2);
    expect(() => strategy.submit(input)).toThrow(MessageRejected);
    expect(() => strategy.submit(input)).toThrow(MessageRejected);
    strategy.submit(input);
    expect(evaluations).toBe(1);
    expect(next.payloads.map((e) => e.event.id)).toEqual(['e2']);
    expect(log.entries).toEqual([]);
  });

  it('given LatestMessages, when events are submitted in two batches, then the last event of each type is recorded once per event, matched or not, at the time its batch was seen', () => {
    const latest = new LatestMessages<CloudEvent>();
    const next = new Collect<Evaluation>().rejectNext(1);
    let now = 5_000;
    const strategy = new EvaluateRules(orderRules(), new CommitLog().commit, next, {
      latest,
      now: () => now++,
    });
    const inputs = [0, 1, 2, 5].map((i) => eventAt(i));
    // The first batch: the clock is read at its first event, the rejected one was seen with it
    expect(() => strategy.submit(inputs[0]!)).not.toThrow();
    expect(() => strategy.submit(inputs[1]!)).toThrow(MessageRejected);
    expect(strategy.poll()).toBeUndefined();
    // The second batch (the rejected event again, not recorded twice) reads the clock once more
    for (const input of inputs.slice(1)) strategy.submit(input);
    expect(latest.get('audit.ping')).toMatchObject({ value: eventOf(0), count: 1, at: 5_000 });
    expect(latest.get('order.created')).toMatchObject({ value: eventOf(5), count: 2, at: 5_001 });
    expect(latest.get('order.paid')).toMatchObject({ value: eventOf(2), count: 1, at: 5_001 });
    // Once per batch, not per event
    expect(now).toBe(5_002);
  });

  it("given LatestMessages and no clock, when an event is submitted, then it is recorded at the message's timestamp", () => {
    const latest = new LatestMessages<CloudEvent>();
    const strategy = new EvaluateRules(orderRules(), new CommitLog().commit, new Collect(), { latest });
    strategy.submit(eventAt(7));
    expect(latest.get('order.created')?.at).toBe(eventAt(7).timestamp);
  });

  it('when closed, then an unmatched event is refused with an error and not committed', () => {
    const log = new CommitLog();
    const strategy = new EvaluateRules(orderRules(), log.commit, new Collect());
    strategy.close();
    expect(() => strategy.submit(eventAt(0))).toThrow(Error);
    expect(log.entries).toEqual([]);
  });

  it('when terminated, then an unmatched event is refused with an error and not committed', () => {
    const log = new CommitLog();
    const next = new Collect<Evaluation>();
    const strategy = new EvaluateRules(orderRules(), log.commit, next);
    strategy.terminate();
    expect(() => strategy.submit(eventAt(0))).toThrow(Error);
    expect(log.entries).toEqual([]);
    expect(next.terminated).toBe(true);
  });
});
