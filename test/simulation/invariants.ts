import Database from 'better-sqlite3';
import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { typeMatches } from '../../src/core/rules/rule.js';
import type { EffectLog } from './effects.js';
import type { GroupSpec, LogEntry, Scenario, SimEventData } from './scenario.js';
import { STEP_RETRIES } from './scenario.js';

/** The invariants, by the name reports use. */
export const INVARIANTS = {
  'not-done': 'every event of every group done (processed, or parked with a reason) and checkpointed',
  'run-repeated': 'no succeeded run executed again (outside the crash/takeover window)',
  'checkpoint-backwards': 'checkpoints only move forward',
  'checkpoint-past-not-done': 'a checkpoint never passes a position that is not done (durably)',
  'non-owner-commit': 'no checkpoint accepted from an agent that does not hold the lease',
  'not-finished': '--until-empty finishes',
  'parked-wrong': 'every failure parked once, with its reason; nothing else parked',
  'agent-error': 'agents stop without an error',
} as const;
export type Invariant = keyof typeof INVARIANTS;

/** A record of the log: where it landed and what it is. */
export interface PlacedRecord {
  readonly partition: number;
  readonly offset: number;
  readonly entry: LogEntry;
}

/** What a group must have done with a record. */
type Expectation =
  | { readonly kind: 'unmatched' }
  | { readonly kind: 'park'; readonly reason: 'decode' | 'process' }
  | { readonly kind: 'runs'; readonly rules: readonly string[] };

const MAX_DETAILS = 4;

/**
 * Reads the store file on a connection of its own (synchronous, so a check sees one instant) and
 * collects violations. Two invariants are enforced inside SQLite by triggers on `checkpoints`, so that
 * every write is judged in its own transaction, whichever connection or thread makes it: a checkpoint
 * never moves back, and is only written while the writer holds an unexpired lease of the partition.
 */
export class Checker {
  readonly violations = new Map<Invariant, string[]>();
  private readonly db: Database.Database;
  private readonly verified = new Map<string, number>();
  private readonly lastOffset = new Map<number, number>();
  private readonly isDurable: Database.Statement;
  private readonly parkedEvent: Database.Statement;
  private readonly parkedAt: Database.Statement;

  constructor(
    path: string,
    private readonly scenario: Scenario,
    private readonly records: readonly PlacedRecord[],
    private readonly effects: EffectLog,
    private readonly source: string,
  ) {
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 5000');
    this.installTriggers();
    for (const record of records) {
      this.lastOffset.set(
        record.partition,
        Math.max(record.offset, this.lastOffset.get(record.partition) ?? -1),
      );
    }
    this.isDurable = this.db.prepare(
      `SELECT 1 FROM runs WHERE id = ? AND state = 'succeeded'
       UNION ALL SELECT 1 FROM run_ledger b, json_each(b.runs) r WHERE r.value->>0 = ?`,
    );
    this.parkedEvent = this.db.prepare(
      'SELECT reason FROM failed_messages WHERE group_name = ? AND source = ? AND event_id = ?',
    );
    this.parkedAt = this.db.prepare(
      'SELECT reason FROM failed_messages WHERE group_name = ? AND source = ? AND partition = ? AND position = ?',
    );
  }

  /** Whether the run is stored as succeeded now. */
  durable(runId: string): boolean {
    return this.isDurable.get(runId, runId) !== undefined;
  }

  report(invariant: Invariant, detail: string): void {
    const list = this.violations.get(invariant) ?? [];
    this.violations.set(invariant, list);
    if (list.length < MAX_DETAILS) list.push(detail);
    else if (list.length === MAX_DETAILS) list.push('…');
  }

  /** After every flush: no checkpoint of any group passed a record that is not durably done. */
  afterFlush(): void {
    const rows = this.db
      .prepare('SELECT group_name, partition, position FROM checkpoints WHERE source = ?')
      .all(this.source) as { group_name: string; partition: string; position: string }[];
    for (const row of rows) {
      const group = this.scenario.groups.find((g) => g.name === row.group_name);
      if (group === undefined) continue;
      const partition = Number(row.partition);
      const position = Number(row.position);
      const key = `${group.name}/${partition}`;
      const from = this.verified.get(key) ?? -1;
      if (!(position > from)) continue;
      for (const record of this.records) {
        if (record.partition !== partition || record.offset <= from || record.offset > position) continue;
        const missing = this.missing(group, record);
        if (missing !== undefined) {
          this.report(
            'checkpoint-past-not-done',
            `group ${group.name} checkpointed p${partition}@${position} past offset ${record.offset}: ${missing}`,
          );
        }
      }
      this.verified.set(key, position);
    }
  }

  /** True when every partition's checkpoint of the group is at the end of the log. */
  caughtUp(group: string): boolean {
    const rows = this.db
      .prepare('SELECT partition, position FROM checkpoints WHERE group_name = ? AND source = ?')
      .all(group, this.source) as { partition: string; position: string }[];
    for (let p = 0; p < this.scenario.partitions; p++) {
      const last = this.lastOffset.get(p);
      if (last === undefined) continue;
      if (rows.find((r) => Number(r.partition) === p)?.position !== String(last)) return false;
    }
    return true;
  }

  /** The checks made once every agent stopped. */
  finish(): void {
    this.checkTriggers();
    for (const repeat of this.effects.repeats) this.report('run-repeated', repeat);
    const checkpoints = this.db
      .prepare('SELECT group_name, partition, position FROM checkpoints WHERE source = ?')
      .all(this.source) as { group_name: string; partition: string; position: string }[];
    for (const group of this.scenario.groups) {
      for (const record of this.records) {
        const missing = this.missing(group, record);
        if (missing !== undefined) this.report('not-done', `group ${group.name}: ${missing}`);
      }
      for (let p = 0; p < this.scenario.partitions; p++) {
        const last = this.records.filter((r) => r.partition === p).at(-1);
        if (last === undefined) continue;
        const checkpoint = checkpoints.find((c) => c.group_name === group.name && Number(c.partition) === p);
        if (checkpoint?.position !== String(last.offset)) {
          this.report(
            'not-done',
            `group ${group.name}: checkpoint of p${p} is ${checkpoint?.position ?? 'none'}, the log ends at ${last.offset}`,
          );
        }
      }
      this.checkParked(group);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Why a record is not done (durably) for a group, or undefined when it is. */
  private missing(group: GroupSpec, record: PlacedRecord): string | undefined {
    const expected = expectationOf(group, record.entry);
    const where = `p${record.partition}@${record.offset}`;
    switch (expected.kind) {
      case 'unmatched':
        return undefined;
      case 'park': {
        const event = record.entry.event;
        const parked =
          event === undefined
            ? this.parkedAt.all(group.name, this.source, String(record.partition), String(record.offset))
            : this.parkedEvent.all(group.name, this.source, event.id);
        return parked.length > 0
          ? undefined
          : `${event?.id ?? 'poison'} at ${where} never parked (${expected.reason})`;
      }
      case 'runs': {
        const event = record.entry.event!;
        for (const rule of expected.rules) {
          const done = this.effects.of(group.name, event.id, rule);
          if (done.length === 0) return `${event.id} at ${where}: rule ${rule} never executed`;
          if (!done.some((c) => this.durable(c.runId))) {
            return `${event.id} at ${where}: run of rule ${rule} executed but not stored as succeeded`;
          }
        }
        return undefined;
      }
    }
  }

  /** Each failure parked once, with its reason; nothing parked that should not fail (but publishes during an outage). */
  private checkParked(group: GroupSpec): void {
    const items = this.db
      .prepare(
        'SELECT reason, event_id, partition, position FROM failed_messages WHERE group_name = ? AND source = ?',
      )
      .all(group.name, this.source) as {
      reason: string;
      event_id: string | null;
      partition: string;
      position: string;
    }[];
    const expected = new Map<string, string>();
    for (const record of this.records) {
      const e = expectationOf(group, record.entry);
      if (e.kind !== 'park') continue;
      const event = record.entry.event;
      expected.set(event ? `event:${event.id}` : `at:${record.partition}@${record.offset}`, e.reason);
    }
    const seen = new Map<string, number>();
    for (const item of items) {
      if (item.reason === 'publish' && group.sinkOutages.length > 0) continue;
      const key =
        item.event_id !== null && expected.has(`event:${item.event_id}`)
          ? `event:${item.event_id}`
          : `at:${item.partition}@${item.position}`;
      const reason = expected.get(key);
      if (reason === undefined) {
        this.report(
          'parked-wrong',
          `group ${group.name}: ${item.event_id ?? key} parked (${item.reason}) but should not have failed`,
        );
        continue;
      }
      if (reason !== item.reason) {
        this.report(
          'parked-wrong',
          `group ${group.name}: ${key} parked with reason ${item.reason}, not ${reason}`,
        );
      }
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    for (const [key, count] of seen) {
      if (count > 1) this.report('parked-wrong', `group ${group.name}: ${key} parked ${count} times`);
    }
  }

  private installTriggers(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS sim_violations (kind TEXT NOT NULL, detail TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS sim_checkpoint_backwards AFTER UPDATE ON checkpoints
      WHEN OLD.position <> 'END' AND NEW.position <> 'END'
        AND CAST(NEW.position AS INTEGER) < CAST(OLD.position AS INTEGER)
      BEGIN
        INSERT INTO sim_violations VALUES ('checkpoint-backwards',
          'group ' || NEW.group_name || ' p' || NEW.partition || ': ' || OLD.position || ' -> ' || NEW.position ||
          ' by ' || ifnull(NEW.owner, '?'));
      END;
      CREATE TRIGGER IF NOT EXISTS sim_checkpoint_owner_update AFTER UPDATE ON checkpoints
      WHEN NOT EXISTS (SELECT 1 FROM leases l WHERE l.group_name = NEW.group_name AND l.source = NEW.source
        AND l.partition = NEW.partition AND l.owner = NEW.owner AND l.expires_at > NEW.updated_at)
      BEGIN
        INSERT INTO sim_violations VALUES ('non-owner-commit',
          'group ' || NEW.group_name || ' p' || NEW.partition || '@' || NEW.position || ' written by ' ||
          ifnull(NEW.owner, '?') || ' at ' || NEW.updated_at || ', lease: ' || ifnull((SELECT l.owner || ' until ' ||
          l.expires_at FROM leases l WHERE l.group_name = NEW.group_name AND l.source = NEW.source
          AND l.partition = NEW.partition), 'none'));
      END;
      CREATE TRIGGER IF NOT EXISTS sim_checkpoint_owner_insert AFTER INSERT ON checkpoints
      WHEN NOT EXISTS (SELECT 1 FROM leases l WHERE l.group_name = NEW.group_name AND l.source = NEW.source
        AND l.partition = NEW.partition AND l.owner = NEW.owner AND l.expires_at > NEW.updated_at)
      BEGIN
        INSERT INTO sim_violations VALUES ('non-owner-commit',
          'group ' || NEW.group_name || ' p' || NEW.partition || '@' || NEW.position || ' written by ' ||
          ifnull(NEW.owner, '?') || ' at ' || NEW.updated_at || ' without its lease');
      END;
    `);
  }

  private checkTriggers(): void {
    const rows = this.db.prepare('SELECT kind, detail FROM sim_violations ORDER BY rowid').all() as {
      kind: Invariant;
      detail: string;
    }[];
    for (const row of rows) this.report(row.kind, row.detail);
  }
}

/** What a group's rules make of a record. */
export function expectationOf(group: GroupSpec, entry: LogEntry): Expectation {
  if (entry.event === undefined) return { kind: 'park', reason: 'decode' };
  const event: CloudEvent = entry.event;
  const rules = group.rules.filter((r) => typeMatches(r.on, event.type)).map((r) => r.name);
  if (rules.length === 0) return { kind: 'unmatched' };
  const data = event.data as SimEventData;
  if (data.fail === 'fatal' || data.fail === 'exhaust') return { kind: 'park', reason: 'process' };
  if (data.fail === 'transient' && (data.failTimes ?? 0) > STEP_RETRIES)
    return { kind: 'park', reason: 'process' };
  return { kind: 'runs', rules };
}
