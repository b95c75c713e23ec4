import { isRuleError } from '../errors/rule-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import type { RuleMatch, RuleSet } from '../rules/rule-set.js';
import type { LatestMessages } from '../state/latest-messages.js';
import { type Message, withPayload } from '../types.js';
import { CarriedTransform } from './carried-transform.js';
import { ForwardingStrategy } from './forwarding-strategy.js';
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
export class EvaluateRules extends ForwardingStrategy<CloudEvent, Evaluation> {
  private readonly carried = new CarriedTransform<CloudEvent, Evaluation>();
  /**
   * The time the events submitted since the last `poll` were seen, read at the first of them: the events
   * of one batch are submitted together, synchronously, so one read stands for all of them.
   */
  private seenAt: number | undefined;

  constructor(
    private readonly rules: RuleSet,
    private readonly commit: Commit,
    next: ProcessingStrategy<Evaluation>,
    private readonly options: EvaluateRulesOptions = {},
  ) {
    super(next);
  }

  submit(message: Message<CloudEvent>): void {
    if (this.closed) throw new Error('EvaluateRules: submit after close');
    let evaluated = this.carried.resultFor(message);
    if (evaluated === undefined) {
      const matches = this.match(message);
      if (matches.length === 0) {
        this.commit(message, 'unmatched');
        return;
      }
      evaluated = withPayload(message, { event: message.payload, matches });
    }
    this.carried.forward(message, evaluated, this.next);
  }

  /** Ends the batch: the next event submitted reads the clock again. */
  override poll(): Promise<void> | undefined {
    this.seenAt = undefined;
    return super.poll();
  }

  override terminate(): void {
    this.carried.clear();
    super.terminate();
  }

  /** Records the event as the latest of its type, then evaluates the rules against it. */
  private match(message: Message<CloudEvent>): RuleMatch[] {
    const event = message.payload;
    this.options.latest?.record(event.type, event, this.seen(message));
    try {
      return this.rules.evaluate(event);
    } catch (cause) {
      throw new InvalidMessage(message, 'rule', {
        cause,
        ...(isRuleError(cause) ? { rule: cause.rule } : {}),
      });
    }
  }

  /** When this batch was seen (`now`, read once per batch), or the message's timestamp without a clock. */
  private seen(message: Message<CloudEvent>): number {
    const now = this.options.now;
    if (now === undefined) return message.timestamp;
    this.seenAt ??= now();
    return this.seenAt;
  }
}
