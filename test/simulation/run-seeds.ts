import { type Outcome, runScenario } from './driver.js';
import { INVARIANTS, type Invariant } from './invariants.js';
import { generateScenario, type Kind, kindOfSeed } from './scenario.js';
import type { Mutation } from './sim-store.js';

export interface SeedsOptions {
  readonly from: number;
  readonly count: number;
  /** Forces every scenario to this kind (else each seed has its own). */
  readonly kind?: Kind;
  /** Prints every violation's details and every scenario, not only failing ones. */
  readonly verbose?: boolean;
  /** Prints what happened during each scenario: agents starting, crashing, stopping; faults. */
  readonly trace?: boolean;
  readonly print?: (line: string) => void;
  /** Breaks the store on purpose (see `MUTATIONS`): the run must then fail. */
  readonly mutation?: Mutation;
}

export interface SeedsSummary {
  readonly outcomes: readonly Outcome[];
  readonly failed: readonly Outcome[];
  /** One line per failing seed: what broke and how to run it again. */
  readonly lines: readonly string[];
  readonly byInvariant: ReadonlyMap<Invariant, number[]>;
  readonly crashWindow: number;
  readonly takeoverWindow: number;
  readonly realMs: number;
}

/** The command that runs one seed again. */
export function reproduction(outcome: Outcome, forcedKind: Kind | undefined, mutation?: Mutation): string {
  const kind =
    forcedKind !== undefined && forcedKind !== kindOfSeed(outcome.seed) ? ` --kind ${forcedKind}` : '';
  return `npm run sim -- --seed ${outcome.seed}${kind}${mutation ? ` --mutate ${mutation}` : ''}`;
}

/** Runs seeds one after the other and sums up what they found. */
export async function runSeeds(options: SeedsOptions): Promise<SeedsSummary> {
  const print = options.print ?? (() => undefined);
  const outcomes: Outcome[] = [];
  const failed: Outcome[] = [];
  const lines: string[] = [];
  const byInvariant = new Map<Invariant, number[]>();
  const started = performance.now();
  for (let seed = options.from; seed < options.from + options.count; seed++) {
    const scenario = generateScenario(seed, options.kind);
    const outcome = await runScenario(scenario, {
      ...(options.trace ? { trace: print } : {}),
      ...(options.mutation ? { mutation: options.mutation } : {}),
    });
    outcomes.push(outcome);
    const broken = [...outcome.violations.keys()];
    if (options.verbose) {
      print(`seed ${seed} (${outcome.kind}): ${outcome.description}`);
      print(
        `  ${outcome.executions} executions, ${outcome.crashes} crashes, crash-window re-executions ${outcome.crashWindow}, ` +
          `takeover-window ${outcome.takeoverWindow}; ${outcome.simulatedMs} ms simulated in ${outcome.realMs} ms`,
      );
    }
    if (broken.length === 0) continue;
    failed.push(outcome);
    for (const invariant of broken) {
      const seeds = byInvariant.get(invariant) ?? [];
      byInvariant.set(invariant, seeds);
      seeds.push(seed);
    }
    const first = outcome.violations.get(broken[0]!)![0]!;
    const line = `FAIL seed ${seed} (${outcome.kind}) [${broken.join(', ')}] ${first} → ${reproduction(outcome, options.kind, options.mutation)}`;
    lines.push(line);
    print(line);
    if (options.verbose) {
      for (const [invariant, details] of outcome.violations) {
        print(`  ${invariant}: ${INVARIANTS[invariant]}`);
        for (const detail of details) print(`    ${detail}`);
      }
    }
  }
  const realMs = Math.round(performance.now() - started);
  const crashWindow = outcomes.reduce((n, o) => n + o.crashWindow, 0);
  const takeoverWindow = outcomes.reduce((n, o) => n + o.takeoverWindow, 0);
  const crashes = outcomes.reduce((n, o) => n + o.crashes, 0);
  const executions = outcomes.reduce((n, o) => n + o.executions, 0);
  print(
    `${outcomes.length} scenarios, ${failed.length} failed, in ${(realMs / 1000).toFixed(1)} s; ` +
      `${executions} run executions, ${crashes} crashes; re-executions measured in the crash window: ${crashWindow}, ` +
      `after a lease takeover: ${takeoverWindow}`,
  );
  for (const [invariant, seeds] of byInvariant) {
    print(`  ${invariant} (${INVARIANTS[invariant]}): ${seeds.length} — seeds ${seeds.join(' ')}`);
  }
  return { outcomes, failed, lines, byInvariant, crashWindow, takeoverWindow, realMs };
}
