import { appended } from '../appended.js';
import { ConfigError } from '../errors/config-error.js';
import { RuleError } from '../errors/rule-error.js';
import type { CloudEvent } from '../events/cloud-event.js';
import { type Rule, typeMatches } from './rule.js';

/** A rule that matched an event: which process to start, with which parameters. */
export interface RuleMatch {
  readonly rule: string;
  readonly process: string;
  readonly params: unknown;
}

/**
 * The agent's rules, evaluated in declaration order. `evaluate` is pure and deterministic: the same event
 * always gives the same matches in the same order. The rules that can apply to an event type are
 * computed once per type and cached.
 */
export class RuleSet<E extends CloudEvent = CloudEvent> {
  private readonly byType = new Map<string, readonly Rule<E>[]>();
  /** The match of each rule without `params`: the same for every event, so one object, shared. */
  private readonly plain = new Map<Rule<E>, RuleMatch>();

  constructor(readonly rules: readonly Rule<E>[]) {
    const names = new Set<string>();
    for (const r of rules) {
      if (names.has(r.name)) throw new ConfigError(`two rules are named "${r.name}"`, 'rules');
      names.add(r.name);
      if (r.params === undefined)
        this.plain.set(r, Object.freeze({ rule: r.name, process: r.process, params: undefined }));
    }
  }

  /** Rules whose `on` matches the type, in declaration order. */
  candidates(type: string): readonly Rule<E>[] {
    let list = this.byType.get(type);
    if (list === undefined) {
      list = this.rules.filter((r) => r.on.some((pattern) => typeMatches(pattern, type)));
      if (this.byType.size < 10_000) this.byType.set(type, list);
    }
    return list;
  }

  /**
   * The processes to start for an event. @throws RuleError naming the rule when a `when` or `params`
   * throws (the event is then parked with that rule's name).
   */
  evaluate(event: E): RuleMatch[] {
    let matches: RuleMatch[] = [];
    for (const r of this.candidates(event.type)) {
      try {
        if (r.when !== undefined && !r.when(event)) continue;
        const match = this.plain.get(r) ?? { rule: r.name, process: r.process, params: r.params?.(event) };
        matches = appended(matches, match);
      } catch (cause) {
        throw new RuleError(r.name, cause);
      }
    }
    return matches;
  }
}
