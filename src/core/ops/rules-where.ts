import type { CloudEvent } from '../events/cloud-event.js';
import type { WhereSubject } from '../filter/where.js';
import type { RuleTestResult } from './rules.js';

/** One input event of `rules test` with what the rules made of it: what its `--where` sees. */
export interface RuleTestItem {
  /** The event's text as given. */
  readonly raw: string;
  /** The decoded event; absent when it did not decode. */
  readonly event?: CloudEvent;
  readonly result: RuleTestResult;
}

/**
 * The `--where` variables of `rules test`: the event as `event` (`event.data.*`; null when it did not
 * decode), its text as `payload`, `meta` (source: the input, index: its 1-based place in it) and what the
 * rules would do — `outcome`, the names of the matching `rules` and their `processes`, and `error`.
 */
export function ruleTestWhere(origin: string): WhereSubject<RuleTestItem> {
  return {
    noun: 'an event',
    variables: {
      event: 'the decoded CloudEvent (event.type, event.data.*); null when it does not decode',
      payload: 'the event as given (text)',
      meta: 'source (the input), index (1-based place in it)',
      outcome: '"matched", "unmatched", "rule-error" or "decode-error"',
      rules: 'names of the rules that match (a list: "bill" in rules)',
      processes: 'the processes they start (a list)',
      error: 'what a rule or the decoder threw; null otherwise',
    },
    bind({ raw, event, result }) {
      return {
        event: event ?? null,
        payload: raw,
        meta: { source: origin, index: result.index },
        outcome: result.outcome,
        rules: result.matches.map((m) => m.rule),
        processes: result.matches.map((m) => m.process),
        error: result.error?.message ?? null,
      };
    },
  };
}
