import { isRuleError } from '../errors/rule-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RuleMatch, RuleSet } from '../rules/rule-set.js';
import type { LatestMessages } from '../state/latest-messages.js';
import { type Message, withPayload } from '../types.js';
import { type Commit, InvalidMessage, type ProcessingStrategy } from './processing-strategy.js';

/** An event with the processes its rules start. */
export interface Evaluation {
  readonly event: CloudEvent;
  readonly matches: readonly RuleMatch[];
}

export interface EvaluateRulesOptions {
  /** Remembers the last event of each type for the console. */
  readonly latest?: LatestMessages<CloudEvent>;
  readonly now?: () => number;
}

/**
 * Evaluates the rule set against each event. An event no rule matches is done at once (outcome
 * `unmatched`, committed, not an error); a rule that throws makes the event an `InvalidMessage` with
 * reason `rule` and the rule's name. Synchronous; keeps order.
 */
export class EvaluateRules implements ProcessingStrategy<CloudEvent> {
  private carried:
    | { readonly source: Message<CloudEvent>; readonly evaluated: Message<Evaluation> }
    | undefined;
  private closed = false;

  constructor(
    private readonly rules: RuleSet,
    private readonly commit: Commit,
    private readonly next: ProcessingStrategy<Evaluation>,
    private readonly options: EvaluateRulesOptions = {},
  ) {}

  submit(message: Message<CloudEvent>): void {
    if (this.closed) throw new Error('EvaluateRules: submit after close');
    let evaluated: Message<Evaluation>;
    if (this.carried?.source === message) {
      evaluated = this.carried.evaluated;
    } else {
      const event = message.payload;
      this.options.latest?.record(event.type, event, this.options.now?.() ?? message.timestamp);
      let matches: RuleMatch[];
      try {
        matches = this.rules.evaluate(event);
      } catch (cause) {
        throw new InvalidMessage(message, 'rule', {
          cause,
          ...(isRuleError(cause) ? { rule: cause.rule } : {}),
        });
      }
      if (matches.length === 0) {
        this.commit(message, 'unmatched');
        return;
      }
      evaluated = withPayload(message, { event, matches });
    }
    try {
      this.next.submit(evaluated);
      this.carried = undefined;
    } catch (error) {
      this.carried = { source: message, evaluated };
      throw error;
    }
  }

  poll(): Promise<void> | undefined {
    return this.next.poll();
  }

  close(): void {
    this.closed = true;
    this.next.close();
  }

  join(timeoutMs?: number): Promise<void> {
    return this.next.join(timeoutMs);
  }

  terminate(): void {
    this.closed = true;
    this.carried = undefined;
    this.next.terminate();
  }
}
