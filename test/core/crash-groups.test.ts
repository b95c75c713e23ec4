import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CloudEvent } from '../../src/core/events/cloud-event.js';
import { runIdOf } from '../../src/core/model/run-id.js';
import { openSqliteStore } from '../../src/core/store/sqlite/sqlite-state-store.js';
import { mulberry32 } from '../simulation/random.js';
import { wholeRecords } from '../support/effect-log.js';
import { type AgentChild, startAgentChild } from '../support/fixture-child.js';
import { tempDir } from '../support/temp.js';

const CHILD = fileURLToPath(new URL('../fixtures/crash-agent.ts', import.meta.url));
/** Two agents (consumer groups) on one store and one local log; the rules of fixtures/crash-agent.ts. */
const GROUPS = ['billing', 'shipping'] as const;
const RULES = ['notify-owner', 'audit-trail'] as const;
const EVENTS = 2_000;
const KILLS = 20;

type Group = (typeof GROUPS)[number];

function anOrder(n: number): CloudEvent {
  return {
    specversion: '1.0',
    id: `order-${n}`,
    type: 'order.placed',
    source: '/tests/crash-groups',
    time: new Date(1_790_000_000_000 + n * 7).toISOString(),
    data: { n },
  };
}

/** One group's agent, its files, and what the kills met. */
interface Slot {
  readonly group: Group;
  /** Run ids witnessed as executed (`VIOLATION ID` for a durable success executed again). */
  readonly effects: string;
  /** The NDJSON file sink the agent publishes to. */
  readonly sink: string;
  readonly expected: ReadonlySet<string>;
  /** Sizes of the effects and sink files when each agent of this group started (one agent at a time). */
  readonly lives: { effects: number; sink: number }[];
  kills: number;
  /** Kills that hit the agent while its runs were executing (the effects file grew just before). */
  interrupted: number;
  skipped: number;
}

/** The last `skipped N` a child printed: runs it found already succeeded and did not execute. */
function skippedBy(stdout: string): number {
  const last = stdout.split('\n').findLast((line) => line.startsWith('skipped '));
  return last === undefined ? 0 : Number(last.slice('skipped '.length));
}

function linesOf(text: string): string[] {
  return text.split('\n').filter(Boolean);
}

/**
 * The lines of `file` (as `parse` cuts them) in the parts each agent's life wrote, by the sizes at which
 * each one started.
 */
function livesOf(file: string, starts: readonly number[], parse: (text: string) => string[]): string[][] {
  const bytes = readFileSync(file);
  return starts.map((from, i) => parse(bytes.subarray(from, starts[i + 1] ?? bytes.length).toString('utf8')));
}

/** Entries of `items` seen more than once. */
function repeated(items: readonly string[]): string[] {
  const seen = new Set<string>();
  const again: string[] = [];
  for (const item of items) {
    if (seen.has(item)) again.push(item);
    seen.add(item);
  }
  return again;
}

interface SinkLine {
  readonly id?: unknown;
  readonly value?: { runId?: unknown; output?: { group?: unknown } };
}

function start(db: string, slot: Slot, mode: 'crash' | 'final'): AgentChild {
  slot.lives.push({ effects: statSync(slot.effects).size, sink: statSync(slot.sink).size });
  return startAgentChild(CHILD, [db, slot.effects, mode, 'pool', slot.group, slot.sink]);
}

describe('Agent crash safety, two groups publishing', () => {
  it('Given two agents of different groups on one store and log, pooled and publishing to file sinks, ' +
    'SIGKILLed at random points many times, When both last consume until empty, Then no run of either ' +
    'group was lost or repeated after it succeeded, and each sink holds its own group’s records, ' +
    'deduplicable by record id', async () => {
    const seed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
    const next = mulberry32(seed);
    const dir = tempDir('crash-groups-');
    const db = join(dir, 'agents.db');

    // Given: the events on the local log, before any agent runs; both groups consume all of them.
    const events = Array.from({ length: EVENTS }, (_, n) => anOrder(n));
    const seeding = await openSqliteStore({ path: db });
    const encoder = new TextEncoder();
    await seeding.log.append(
      'events',
      events.map((e) => ({ value: encoder.encode(JSON.stringify(e)) })),
    );
    await seeding.close();
    const slots: Slot[] = GROUPS.map((group) => {
      const slot: Slot = {
        group,
        effects: join(dir, `${group}.effects`),
        sink: join(dir, `${group}.ndjson`),
        expected: new Set(events.flatMap((e) => RULES.map((r) => runIdOf(group, e, r)))),
        lives: [],
        kills: 0,
        interrupted: 0,
        skipped: 0,
      };
      writeFileSync(slot.effects, '');
      writeFileSync(slot.sink, '');
      return slot;
    });
    const [first, second] = slots as [Slot, Slot];
    expect(first.expected.size).toBe(EVENTS * RULES.length);
    expect(second.expected.size).toBe(EVENTS * RULES.length);
    expect([...first.expected].filter((id) => second.expected.has(id))).toEqual([]);

    // When: each round starts an agent of each group and SIGKILLs each at its own random point after it
    // started consuming, so a group's agent dies while the other group's works on, or both at once.
    const started = Date.now();
    let kills = 0;
    for (let round = 0; round < KILLS / GROUPS.length; round++) {
      const waits = slots.map(() => 100 + Math.floor(next() * 500));
      await Promise.all(
        slots.map(async (slot, i) => {
          const child = start(db, slot, 'crash');
          await child.started;
          const before = statSync(slot.effects).size;
          await delay(waits[i] ?? 0);
          child.process.kill('SIGKILL');
          const { signal, code, stdout, stderr } = await child.exited;
          expect(stderr, `${slot.group} agent wrote to stderr`).toBe('');
          expect({ group: slot.group, signal, code }).toEqual({
            group: slot.group,
            signal: 'SIGKILL',
            code: null,
          });
          if (statSync(slot.effects).size > before) slot.interrupted++;
          slot.skipped += skippedBy(stdout);
          slot.kills++;
          kills++;
        }),
      );
    }
    const killedFor = Date.now() - started;

    // ... and finally both run until the log is empty.
    const summaries = await Promise.all(
      slots.map(async (slot) => {
        const { code, stdout, stderr } = await start(db, slot, 'final').exited;
        expect({ group: slot.group, code, stderr }).toEqual({ group: slot.group, code: 0, stderr: '' });
        const summary = JSON.parse(linesOf(stdout).at(-1) ?? '{}') as {
          stoppedBy: string;
          skippedRuns: number;
          parked: number;
          publishGiveUps: number;
          runs: { succeeded: number };
        };
        expect({ group: slot.group, stoppedBy: summary.stoppedBy, parked: summary.parked }).toEqual({
          group: slot.group,
          stoppedBy: 'empty',
          parked: 0,
        });
        expect(summary.publishGiveUps).toBe(0);
        slot.skipped += summary.skippedRuns;
        return summary;
      }),
    );

    const store = await openSqliteStore({ path: db, readonly: true });
    onTestFinished(() => store.close());
    const topic = await store.log.topic('events');
    expect(topic?.partitions).toBe(4);
    const figures: string[] = [];
    for (const [i, slot] of slots.entries()) {
      const other = slots[1 - i] as Slot;
      const tag = (what: string) => `${slot.group}: ${what}`;

      // Then: every run of the group left its effect at least once, none repeated a durable success ...
      const effectLives = livesOf(
        slot.effects,
        slot.lives.map((life) => life.effects),
        wholeRecords,
      );
      const effects = effectLives.flat();
      const violations = effects.filter((line) => line.startsWith('VIOLATION'));
      expect(violations.slice(0, 5), tag(`${violations.length} succeeded runs executed again`)).toEqual([]);
      const executed = new Set(effects);
      const lost = [...slot.expected].filter((id) => !executed.has(id));
      expect(lost.slice(0, 5), tag(`${lost.length} runs never executed`)).toEqual([]);
      expect([...executed].filter((id) => !slot.expected.has(id)).slice(0, 5), tag('foreign runs')).toEqual(
        [],
      );
      // ... and a run executed again only across a kill, never twice in one agent's life.
      for (const [life, lines] of effectLives.entries()) {
        expect(repeated(lines).slice(0, 5), tag(`runs executed twice by agent ${life}`)).toEqual([]);
      }

      // ... every partition is checkpointed at the tip of the log ...
      const checkpoints = await store.checkpoints.get(slot.group, 'local:events');
      for (let p = 0; p < (topic?.partitions ?? 0); p++) {
        const { latest } = await store.log.bounds('events', p);
        expect({ group: slot.group, partition: p, position: checkpoints.get(String(p))?.position }).toEqual({
          group: slot.group,
          partition: p,
          position: String(latest),
        });
      }

      // ... every run is recorded as succeeded ...
      const states = await store.runs.lookup([...slot.expected]);
      expect(states.size, tag('runs stored')).toBe(slot.expected.size);
      expect(new Set(states.values())).toEqual(new Set(['succeeded']));

      // ... and the sink holds one record per run of the group (its id the run id, its output the group's),
      // none of the other group's, and copies of a record only across a kill.
      const sinkLives = livesOf(
        slot.sink,
        slot.lives.map((life) => life.sink),
        linesOf,
      );
      const torn: string[] = [];
      const ids: string[][] = sinkLives.map((lines, life) =>
        lines.flatMap((line, n) => {
          let record: SinkLine;
          try {
            record = JSON.parse(line) as SinkLine;
          } catch {
            // A kill may cut a killed agent's last line short (the sink ends it when it opens the file again).
            if (n !== lines.length - 1 || life === sinkLives.length - 1) torn.push(line);
            return [];
          }
          expect(record.value?.runId, tag('record id is its run id')).toBe(record.id);
          expect(record.value?.output?.group, tag('record output')).toBe(slot.group);
          return [String(record.id)];
        }),
      );
      expect(torn.slice(0, 3), tag(`${torn.length} lines of the sink are not JSON`)).toEqual([]);
      const records = ids.flat();
      const distinct = new Set(records);
      const missing = [...slot.expected].filter((id) => !distinct.has(id));
      expect(missing.slice(0, 5), tag(`${missing.length} runs never published`)).toEqual([]);
      const foreign = records.filter((id) => other.expected.has(id));
      expect(foreign.slice(0, 5), tag(`${foreign.length} records of ${other.group}`)).toEqual([]);
      expect(
        [...distinct].filter((id) => !slot.expected.has(id)).slice(0, 5),
        tag('unknown records'),
      ).toEqual([]);
      expect(distinct.size).toBe(slot.expected.size);
      for (const [life, lives] of ids.entries()) {
        expect(repeated(lives).slice(0, 5), tag(`records published twice by agent ${life}`)).toEqual([]);
      }

      const doneBeforeFinal = effectLives.slice(0, -1).flat().length;
      const reexecuted = effects.length - slot.expected.size;
      const duplicates = records.length - distinct.size;
      figures.push(
        `${slot.group}: ${slot.kills} kills (${slot.interrupted} at work), ${doneBeforeFinal} executions before ` +
          `the final run (which executed ${summaries[i]?.runs.succeeded}), ${reexecuted} re-executed in a crash ` +
          `window, ${slot.skipped} skipped as succeeded, ${records.length} records for ${distinct.size} ids ` +
          `(${duplicates} duplicates)`,
      );
    }
    expect(kills).toBeGreaterThanOrEqual(KILLS);
    console.log(
      `crash-groups test (seed ${seed}): ${kills} kills in ${killedFor} ms; ` +
        `${figures.join('; ')}; ${Date.now() - started} ms in all`,
    );
    // The kills must have hit each group's agents at work, and restarts must have met runs that had already
    // succeeded (durable beyond the checkpoint) — or the claims above were never put to the test. (Not
    // asked of each group: on a loaded machine, an agent sharing the store with another sometimes makes
    // nothing durable in all its short lives, and its final run then executes every run.)
    for (const slot of slots) {
      expect(slot.interrupted, `${slot.group}: kills while runs were executing`).toBeGreaterThanOrEqual(
        slot.kills / 4,
      );
    }
    expect(
      slots.reduce((sum, slot) => sum + slot.skipped, 0),
      'runs skipped as already succeeded',
    ).toBeGreaterThan(0);
  }, 300_000);
});
