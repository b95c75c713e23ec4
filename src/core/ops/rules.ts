import type { AgentConfig } from '../config/agent-config.js';
import { describeError } from '../errors/agentctl-error.js';
import { isRuleError } from '../errors/rule-error.js';
import { UsageError } from '../errors/usage-error.js';
import { type CloudEvent, decodeCloudEvent } from '../events/cloud-event.js';
import { runIdOf } from '../model/run-id.js';
import type { RunState } from '../model/run-record.js';
import { type ProcessDefinition, ProcessRegistry } from '../processes/process.js';
import { RuleSet } from '../rules/rule-set.js';
import type { RunStore } from '../store/state-store.js';

/** A rule as `rules list` shows it. */
export interface RuleDescription {
  readonly name: string;
  readonly on: readonly string[];
  readonly process: string;
  /** It has a `when` condition. */
  readonly condition: boolean;
  /** It computes `params` for the process. */
  readonly params: boolean;
  /** The process's steps in order; empty when the process does not exist. */
  readonly steps: readonly string[];
  /** What is wrong with the rule (its process does not exist). */
  readonly problem?: string;
}

/** A run an event would start. */
export interface RuleTestMatch {
  readonly rule: string;
  readonly process: string;
  readonly params: unknown;
  readonly runId: string;
  readonly steps: readonly string[];
  /** The run's state in the store, when it has been recorded. */
  readonly recorded?: RunState;
  /** The run already succeeded: consuming the event again would skip it. */
  readonly wouldSkip: boolean;
  readonly problem?: string;
}

/**
 * What consuming one event would do: `matched` (runs start), `unmatched` (committed, nothing runs),
 * `rule-error` (a rule threw: the event would be parked with the rule's name), `decode-error` (not an
 * event: parked with reason `decode`).
 */
export interface RuleTestResult {
  /** 1-based position of the event in the input. */
  readonly index: number;
  readonly outcome: 'matched' | 'unmatched' | 'rule-error' | 'decode-error';
  readonly eventId?: string;
  readonly eventType?: string;
  readonly matches: readonly RuleTestMatch[];
  readonly error?: { readonly rule?: string; readonly message: string };
}

/** One input event of `rules test` with what the rules made of it: what its `--where` sees. */
export interface RuleTestItem {
  /** The event's text as given. */
  readonly raw: string;
  /** The decoded event; absent when it did not decode. */
  readonly event?: CloudEvent;
  readonly result: RuleTestResult;
}

export interface RuleTestReport {
  readonly events: readonly RuleTestResult[];
  /** Whether recorded runs were looked up (a state store was available). */
  readonly checkedStore: boolean;
  /** Input events left out because `--where` did not match them (0 without a filter). */
  readonly filteredOut: number;
  readonly totals: {
    readonly events: number;
    readonly matched: number;
    readonly unmatched: number;
    readonly errors: number;
    readonly runs: number;
    readonly wouldSkip: number;
  };
}

const encoder = new TextEncoder();

function registryOf(config: AgentConfig): ProcessRegistry {
  return new ProcessRegistry((config.processes ?? []) as readonly ProcessDefinition<CloudEvent, never>[]);
}

function stepsOf(processes: ProcessRegistry, name: string): { steps: string[]; problem?: string } {
  const process = processes.get(name);
  if (process === undefined) return { steps: [], problem: `no process is named "${name}"` };
  return { steps: process.steps.map((s) => s.name) };
}

/** The config's rules in declaration order, with what each starts. @throws ConfigError for duplicate names. */
export function describeRules(config: AgentConfig): RuleDescription[] {
  const rules = new RuleSet(config.rules ?? []);
  const processes = registryOf(config);
  return rules.rules.map((r) => ({
    name: r.name,
    on: r.on,
    process: r.process,
    condition: r.when !== undefined,
    params: r.params !== undefined,
    ...stepsOf(processes, r.process),
  }));
}

/**
 * Splits input into the raw text of each event: a whole-text JSON object is one event, a JSON array is
 * one event per element, anything else is NDJSON (one event per non-blank line).
 * @throws UsageError when there is no event at all.
 */
export function splitEvents(text: string, origin: string): string[] {
  const trimmed = text.trim();
  if (trimmed.length === 0)
    throw new UsageError(`${origin} holds no event`, { hint: 'give one JSON event, or NDJSON' });
  try {
    const whole: unknown = JSON.parse(trimmed);
    if (Array.isArray(whole)) return whole.map((e) => JSON.stringify(e));
    return [trimmed];
  } catch {
    return trimmed.split(/\r?\n/).filter((line) => line.trim().length > 0);
  }
}

/**
 * What consuming these events would do, decided exactly as `consume` decides it (the config's decoder,
 * then `RuleSet.evaluate`), without running anything: no step runs, nothing is written. With `runs`
 * (a read-only store), runs that already succeeded are marked `wouldSkip`. With `where`, only the events
 * it matches are reported (their `index` stays their place in the input); totals count those.
 */
export async function testRules(
  config: AgentConfig,
  events: readonly string[],
  runs?: Pick<RunStore, 'lookup'>,
  where?: { matches(item: RuleTestItem): boolean },
): Promise<RuleTestReport> {
  const rules = new RuleSet(config.rules ?? []);
  const processes = registryOf(config);
  const decode = config.decode ?? decodeCloudEvent;
  const all = events.map((raw, i) => evaluateOne(config.name, rules, processes, decode, raw, i + 1));
  const evaluated = where === undefined ? all.map((item) => item.result) : [];
  if (where !== undefined) for (const item of all) if (where.matches(item)) evaluated.push(item.result);
  const ids = evaluated.flatMap((r) => r.matches.map((m) => m.runId));
  const eventIds = evaluated.flatMap((r) => r.matches.map(() => String(r.eventId)));
  const recorded =
    runs === undefined || ids.length === 0 ? new Map<string, RunState>() : await runs.lookup(ids, eventIds);
  const results = evaluated.map((r) => ({
    ...r,
    matches: r.matches.map((m) => {
      const state = recorded.get(m.runId);
      return { ...m, ...(state === undefined ? {} : { recorded: state }), wouldSkip: state === 'succeeded' };
    }),
  }));
  const matches = results.flatMap((r) => r.matches);
  return {
    events: results,
    checkedStore: runs !== undefined,
    filteredOut: all.length - results.length,
    totals: {
      events: results.length,
      matched: results.filter((r) => r.outcome === 'matched').length,
      unmatched: results.filter((r) => r.outcome === 'unmatched').length,
      errors: results.filter((r) => r.outcome === 'rule-error' || r.outcome === 'decode-error').length,
      runs: matches.length,
      wouldSkip: matches.filter((m) => m.wouldSkip).length,
    },
  };
}

function evaluateOne(
  group: string,
  rules: RuleSet,
  processes: ProcessRegistry,
  decode: (raw: Uint8Array) => CloudEvent,
  raw: string,
  index: number,
): RuleTestItem {
  let event: CloudEvent;
  try {
    event = decode(encoder.encode(raw));
  } catch (error) {
    return {
      raw,
      result: { index, outcome: 'decode-error', matches: [], error: { message: describeError(error) } },
    };
  }
  return { raw, event, result: evaluateDecoded(group, rules, processes, event, index) };
}

function evaluateDecoded(
  group: string,
  rules: RuleSet,
  processes: ProcessRegistry,
  event: CloudEvent,
  index: number,
): RuleTestResult {
  const identity = { index, eventId: event.id, eventType: event.type };
  try {
    const matches = rules.evaluate(event).map((m) => ({
      rule: m.rule,
      process: m.process,
      params: m.params,
      runId: runIdOf(group, event, m.rule),
      ...stepsOf(processes, m.process),
      wouldSkip: false,
    }));
    return { ...identity, outcome: matches.length === 0 ? 'unmatched' : 'matched', matches };
  } catch (error) {
    return {
      ...identity,
      outcome: 'rule-error',
      matches: [],
      error: isRuleError(error)
        ? { rule: error.rule, message: describeError(error.cause) }
        : { message: describeError(error) },
    };
  }
}
