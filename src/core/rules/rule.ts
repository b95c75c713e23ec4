import type { CloudEvent } from '../events/cloud-event.js';

/**
 * "When an event of type `on` arrives (and `when` holds), start process `process` with `params`."
 * `on` takes exact types, `*` (any), or a prefix wildcard such as `submission.*`.
 * `when` and `params` must be pure: they run again on redelivery and replay.
 */
export interface Rule<E extends CloudEvent = CloudEvent> {
  readonly name: string;
  readonly on: readonly string[];
  readonly when?: (event: E) => boolean;
  readonly process: string;
  readonly params?: (event: E) => unknown;
}

export interface RuleDefinition<E extends CloudEvent = CloudEvent> {
  readonly name: string;
  readonly on: string | readonly string[];
  readonly when?: (event: E) => boolean;
  readonly process: string;
  readonly params?: (event: E) => unknown;
}

/** Declares a rule. */
export function rule<E extends CloudEvent = CloudEvent>(definition: RuleDefinition<E>): Rule<E> {
  return { ...definition, on: typeof definition.on === 'string' ? [definition.on] : [...definition.on] };
}

/** True when an `on` pattern matches an event type. */
export function typeMatches(pattern: string, type: string): boolean {
  if (pattern === '*' || pattern === type) return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return false;
}
