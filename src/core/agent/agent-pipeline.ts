import type { Clock } from '../clock.js';
import type { CloudEvent, EventDecoder } from '../events/cloud-event.js';
import type { Stats } from '../model/stats.js';
import type { ProcessRegistry } from '../processes/process.js';
import type { Publisher } from '../publish/publisher.js';
import type { RuleSet } from '../rules/rule-set.js';
import type { Runner } from '../runners/runner.js';
import type { LatestMessages } from '../state/latest-messages.js';
import type { EffortStore, RunStore } from '../store/state-store.js';
import { CommitOffsets } from '../strategies/commit-offsets.js';
import { DeadLetter, InvalidMessageExit, type InvalidMessageHandler } from '../strategies/dead-letter.js';
import { Decode } from '../strategies/decode.js';
import type { Dispatch } from '../strategies/dispatch.js';
import { DispatchProcesses } from '../strategies/dispatch-processes.js';
import { EvaluateRules } from '../strategies/evaluate-rules.js';
import { Healthcheck } from '../strategies/healthcheck.js';
import { ParkFailedRuns } from '../strategies/park-failed-runs.js';
import type { ProcessingStrategy, ProcessingStrategyFactory } from '../strategies/processing-strategy.js';
import { Produce } from '../strategies/produce.js';
import type { Bytes } from '../types.js';

export interface AgentPipelineParts {
  readonly group: string;
  readonly source: string;
  readonly worker: string;
  readonly decoder: EventDecoder;
  readonly rules: RuleSet;
  readonly processes: ProcessRegistry;
  readonly runner: Runner;
  readonly runs: Pick<RunStore, 'lookup'> & Partial<Pick<RunStore, 'get'>>;
  /** Delivered publishes, to re-publish records a crash kept from going out (see DispatchProcesses). */
  readonly efforts?: Pick<EffortStore, 'list'>;
  readonly publisher?: Publisher;
  readonly stats: Stats;
  readonly latest?: LatestMessages<CloudEvent>;
  readonly healthcheckFile?: string;
  readonly clock: Clock;
  /** Execute runs that succeeded before again, replacing their records (`replay --rerun`). */
  readonly rerun?: boolean;
  /** Recorded in parked items' history (`consume`, `replay`). */
  readonly via?: string;
  /**
   * Where a message that can never be processed leaves the pipeline (see strategies/dead-letter.ts).
   * `'park'` (default): `DeadLetter` parks it in the failed store and marks it done. A function is handed
   * the failure instead, and the message is neither parked nor marked done: `replay --failed` records it
   * on the item it replays, which is parked already.
   */
  readonly onInvalid?: 'park' | InvalidMessageHandler;
}

/**
 * The agent pipeline, the one assembly of the strategy chain for `consume`, `replay --from` and
 * `replay --failed` (the worker runs single tasks and builds no chain):
 * dead-letter (or another `onInvalid` exit) → [healthcheck] → decode → evaluate-rules → dispatch-processes
 * → [produce] → park-failed-runs → commit-offsets. Failed runs are parked only after the succeeded runs of
 * the same event published. What the callers differ in are options: the failure exit (`onInvalid`),
 * `efforts`, `healthcheckFile`, `rerun`, `latest`, and in the context the commit that marks messages done
 * and `ordered` (default true), passed to the steps that may finish out of order.
 */
export function agentPipeline(parts: AgentPipelineParts): ProcessingStrategyFactory<Bytes> {
  return {
    create(context) {
      const { commit, journal, telemetry, signal } = context;
      let tail: ProcessingStrategy<Dispatch> = new ParkFailedRuns(new CommitOffsets(commit));
      if (parts.publisher !== undefined) {
        tail = new Produce<Dispatch>(
          parts.publisher,
          { recordsOf: (d) => d.records, clock: parts.clock, ordered: context.ordered ?? true },
          tail,
        );
      }
      const dispatch = new DispatchProcesses(
        {
          runner: parts.runner,
          processes: parts.processes,
          runs: parts.runs,
          ...(parts.efforts ? { efforts: parts.efforts } : {}),
          journal,
          group: parts.group,
          source: parts.source,
          worker: parts.worker,
          now: () => parts.clock.now(),
          signal,
          stats: parts.stats,
          ...(parts.rerun ? { rerun: true } : {}),
          ordered: context.ordered ?? true,
        },
        tail,
      );
      const evaluate = new EvaluateRules(parts.rules, commit, dispatch, {
        ...(parts.latest ? { latest: parts.latest } : {}),
        now: () => parts.clock.now(),
      });
      let head: ProcessingStrategy<Bytes> = new Decode(parts.decoder, evaluate);
      if (parts.healthcheckFile !== undefined) {
        head = new Healthcheck<Bytes>({ path: parts.healthcheckFile, clock: parts.clock }, head);
      }
      const onInvalid = parts.onInvalid ?? 'park';
      if (onInvalid !== 'park') return new InvalidMessageExit({ onInvalid, clock: parts.clock }, head);
      return new DeadLetter(
        {
          journal,
          group: parts.group,
          source: parts.source,
          clock: parts.clock,
          telemetry,
          ...(parts.via === undefined ? {} : { via: parts.via }),
        },
        commit,
        head,
      );
    },
  };
}
