import type { RunState } from '../../src/core/model/run-record.js';

/** Simulated time starts here; reports show times relative to it. */
export const SIM_START = 1_795_000_000_000;

/** One agent process of the simulation: an Agent on its own store connection, until it stops or crashes. */
export interface Incarnation {
  readonly id: string;
  readonly group: string;
  /** Set when the simulation kills it: its steps stop having effects, its store calls fail. */
  crashed: boolean;
  /**
   * Each run id this agent looked up last: what the store told the engine, and whether the run was in
   * fact stored as succeeded at that instant (read by the simulation on a connection of its own).
   */
  readonly lookups: Map<string, { readonly said: RunState | 'absent'; readonly durable: boolean }>;
}

/** A side effect: the last step of a run returned (the run succeeded in the agent's memory). */
export interface Completion {
  readonly incarnation: Incarnation;
  readonly runId: string;
  readonly at: number;
}

/**
 * The side-effect log the simulation's steps write. It judges every repeated effect of one (group, event,
 * rule) when it happens:
 * - a violation when the same agent repeated it (its journal or the store knew it succeeded), or when the
 *   store said `succeeded` to the lookup before this execution;
 * - otherwise a *window* re-execution, counted and not a violation: the first execution's agent crashed
 *   before its run was flushed (`crashWindow`), or lost the partition while its run was unflushed
 *   (`takeoverWindow`).
 */
export class EffectLog {
  /** @param isDurable whether a run is stored as succeeded now (the simulation's own read). */
  constructor(private readonly isDurable: (runId: string) => boolean) {}

  private readonly completions = new Map<string, Completion[]>();
  readonly repeats: string[] = [];
  crashWindow = 0;
  takeoverWindow = 0;
  total = 0;

  complete(incarnation: Incarnation, eventId: string, rule: string, runId: string, at: number): void {
    this.total++;
    const key = keyOf(incarnation.group, eventId, rule);
    const earlier = this.completions.get(key);
    const completion: Completion = { incarnation, runId, at };
    if (earlier === undefined) {
      this.completions.set(key, [completion]);
      return;
    }
    earlier.push(completion);
    const first = earlier[0]!;
    const seen = incarnation.lookups.get(runId);
    const said = seen?.said ?? 'not looked up';
    const stored = seen === undefined ? this.isDurable(runId) : seen.durable || seen.said === 'succeeded';
    if (first.incarnation === incarnation || stored) {
      const who =
        first.incarnation === incarnation
          ? 'the same agent'
          : `${first.incarnation.id}; stored as succeeded when looked up`;
      this.repeats.push(
        `group ${incarnation.group}: run ${rule} of ${eventId} executed again by ${incarnation.id} at +${at - SIM_START}ms ` +
          `(first by ${who} at +${first.at - SIM_START}ms; lookup said ${said})`,
      );
      return;
    }
    if (first.incarnation.crashed) this.crashWindow++;
    else this.takeoverWindow++;
  }

  /** The successful executions of a rule's run for an event in a group. */
  of(group: string, eventId: string, rule: string): readonly Completion[] {
    return this.completions.get(keyOf(group, eventId, rule)) ?? [];
  }
}

function keyOf(group: string, eventId: string, rule: string): string {
  return `${group}\u0000${eventId}\u0000${rule}`;
}
