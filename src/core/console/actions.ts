import type { Clock } from '../clock.js';
import type { AgentConfig } from '../config/agent-config.js';
import { describeError } from '../errors/agentctl-error.js';
import { UsageError } from '../errors/usage-error.js';
import { type CheckpointChangeResult, type MoveTarget, moveCheckpoints } from '../ops/checkpoint-moves.js';
import { operatorActor } from '../ops/checkpoint-plan/actor.js';
import { type DrainResult, drainAgent } from '../ops/drain.js';
import { type EditInEditorResult, editFailedInEditor } from '../ops/failed-edit/edit-in-editor.js';
import { editorIdentity } from '../ops/failed-edit/item-edits.js';
import { discardFailed } from '../ops/failed-items.js';
import { opsTarget, type SourceForOps, withSource } from '../ops/operator-source.js';
import { type RedriveProgress, type RedriveSummary, redriveToOrigin } from '../ops/redrive/redrive-origin.js';
import { type ReplayFailedSummary, type ReplayProgress, replayFailed } from '../ops/replay-failed.js';
import type { Source } from '../sources/source.js';
import type { AgentRecord, ControlRequest } from '../store/records.js';
import type { StateStore } from '../store/state-store.js';
import type { Partition, Position } from '../types.js';
import type { LiveAgent } from './data.js';

/** A partition as the console names it for checkpoint actions. */
export interface CheckpointTarget {
  readonly group: string;
  /** The source's id, as checkpoints record it. */
  readonly sourceId: string;
  readonly partition: Partition;
}

/** A drain asked of the agent in this process returns at once; another agent is waited for. */
export type DrainOutcome =
  | { readonly kind: 'requested'; readonly agent: string }
  | { readonly kind: 'drained'; readonly result: DrainResult };

export interface LongAction {
  readonly signal?: AbortSignal;
}

/**
 * What an operator can do from the console. Every method goes through the same core services as the
 * matching command (`replay --failed [--to-origin]`, `failed discard`, `checkpoint set|reset`, `drain`), and refuses
 * with `ReadonlyConsoleError` when the console is read-only, whatever the UI shows.
 */
export interface ConsoleActions {
  readonly readonly: boolean;
  /** Replays these failed items (pending ones of the config's agent group). */
  replay(
    ids: readonly number[],
    options?: LongAction & { readonly onProgress?: (progress: ReplayProgress) => void },
  ): Promise<ReplayFailedSummary>;
  /** Marks these failed items discarded; returns how many changed. */
  discard(ids: readonly number[]): Promise<number>;
  /** Sends these failed items' original bytes back to the agent's source (`replay --failed --to-origin`). */
  redrive(
    ids: readonly number[],
    options?: LongAction & { readonly onProgress?: (progress: RedriveProgress) => void },
  ): Promise<RedriveSummary>;
  /**
   * Opens $EDITOR on a pending failed item's event and saves a valid edit, as `failed edit ID` does;
   * `aroundEditor` gives the terminal to the editor and takes it back.
   */
  edit(id: number, options: { readonly aroundEditor: <T>(run: () => T) => T }): Promise<EditInEditorResult>;
  setCheckpoint(target: CheckpointTarget, position: Position): Promise<CheckpointChangeResult>;
  /** Resets the checkpoints of partitions of one group and source. */
  resetCheckpoints(
    targets: readonly CheckpointTarget[],
    to: 'earliest' | 'latest',
  ): Promise<CheckpointChangeResult>;
  /** Drains an agent (default: the agent in this process, else the only running one). */
  drain(
    agentId: string | undefined,
    options?: LongAction & { readonly onRequested?: (agent: AgentRecord, request: ControlRequest) => void },
  ): Promise<DrainOutcome>;
}

/** An action was asked of a read-only console. */
export class ReadonlyConsoleError extends UsageError {
  constructor(action: string) {
    super(`the console is read-only: ${action} is disabled`, {
      hint: 'run agentctl tui without --readonly to act',
    });
  }
}

export interface ConsoleActionsOptions {
  readonly store: StateStore;
  readonly config: AgentConfig;
  /** Every action refuses. */
  readonly readonly?: boolean;
  /** The agent running in this process (`consume --tui`): drained directly. */
  readonly agent?: LiveAgent;
  /** How long a drain of another agent is waited for (default 60 s). */
  readonly drainTimeoutMs?: number;
  readonly clock?: Clock;
}

export function consoleActions(options: ConsoleActionsOptions): ConsoleActions {
  return options.readonly ? readonlyActions : new CoreConsoleActions(options);
}

const refuse = (action: string) => Promise.reject(new ReadonlyConsoleError(action));

const readonlyActions: ConsoleActions = {
  readonly: true,
  replay: () => refuse('replay'),
  discard: () => refuse('discard'),
  redrive: () => refuse('redrive'),
  edit: () => refuse('edit'),
  setCheckpoint: () => refuse('checkpoint set'),
  resetCheckpoints: () => refuse('checkpoint reset'),
  drain: () => refuse('drain'),
};

class CoreConsoleActions implements ConsoleActions {
  readonly readonly = false;

  constructor(private readonly options: ConsoleActionsOptions) {}

  replay(
    ids: readonly number[],
    options: LongAction & { readonly onProgress?: (progress: ReplayProgress) => void } = {},
  ): Promise<ReplayFailedSummary> {
    const { store, config } = this.options;
    return replayFailed({ store, config, filter: { ids }, ...this.passedOn(options) });
  }

  discard(ids: readonly number[]): Promise<number> {
    return discardFailed(this.options.store, ids);
  }

  redrive(
    ids: readonly number[],
    options: LongAction & { readonly onProgress?: (progress: RedriveProgress) => void } = {},
  ): Promise<RedriveSummary> {
    const { store, config } = this.options;
    return redriveToOrigin({ store, config, filter: { ids }, ...this.passedOn(options) });
  }

  edit(id: number, options: { readonly aroundEditor: <T>(run: () => T) => T }): Promise<EditInEditorResult> {
    const author = { by: editorIdentity(), how: 'console', ...this.clocked() };
    return editFailedInEditor(this.options.store, id, {
      mode: 'event',
      author,
      aroundEditor: options.aroundEditor,
    });
  }

  setCheckpoint(target: CheckpointTarget, position: Position): Promise<CheckpointChangeResult> {
    return this.move([target], { kind: 'position', position });
  }

  resetCheckpoints(
    targets: readonly CheckpointTarget[],
    to: 'earliest' | 'latest',
  ): Promise<CheckpointChangeResult> {
    const first = targets[0];
    if (first === undefined) return Promise.reject(new UsageError('no partition to reset'));
    if (targets.some((t) => t.group !== first.group || t.sourceId !== first.sourceId)) {
      return Promise.reject(
        new UsageError('the partitions to reset belong to several groups or sources', {
          hint: 'tag partitions of one source only',
        }),
      );
    }
    return this.move(targets, { kind: to });
  }

  /**
   * Moves checkpoints as `checkpoint set|reset --execute` does (the console asked first), recorded in the
   * history as done from the console.
   */
  private move(targets: readonly CheckpointTarget[], target: MoveTarget): Promise<CheckpointChangeResult> {
    const first = targets[0]!;
    return this.withTargetSource(first, (source, ops) =>
      moveCheckpoints(this.options.store, source, ops, {
        target,
        partitions: targets.map((t) => t.partition),
        execute: { actor: operatorActor(), command: 'tui (checkpoint action)' },
        ...this.clocked(),
      }),
    );
  }

  async drain(
    agentId: string | undefined,
    options: LongAction & {
      readonly onRequested?: (agent: AgentRecord, request: ControlRequest) => void;
    } = {},
  ): Promise<DrainOutcome> {
    const { agent, store, config } = this.options;
    if (agent !== undefined && (agentId === undefined || agentId === agent.id)) {
      agent.requestDrain();
      return { kind: 'requested', agent: agent.id };
    }
    const result = await drainAgent(store, {
      ...(agentId === undefined ? { group: config.name } : { agentId }),
      timeoutMs: this.options.drainTimeoutMs ?? 60_000,
      pollMs: 250,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onRequested === undefined ? {} : { onRequested: options.onRequested }),
      ...this.clocked(),
    });
    return { kind: 'drained', result };
  }

  /** What a long action hands its service: its progress callback and signal, and the console's clock. */
  private passedOn<P>(options: LongAction & { readonly onProgress?: (progress: P) => void }): {
    onProgress?: (progress: P) => void;
    signal?: AbortSignal;
    clock?: Clock;
  } {
    return {
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...this.clocked(),
    };
  }

  private clocked(): { clock?: Clock } {
    return this.options.clock === undefined ? {} : { clock: this.options.clock };
  }

  /**
   * Opens the source the partition belongs to: the config's source, or the source id itself when it is
   * a URI (local and file sources).
   */
  private async withTargetSource<T>(
    target: CheckpointTarget,
    use: (source: Source, ops: SourceForOps) => Promise<T>,
  ): Promise<T> {
    const { store, config } = this.options;
    const fromConfig = opsTarget(config, { group: target.group });
    const candidates = [fromConfig, opsTarget(config, { group: target.group, source: target.sourceId })];
    let failure: unknown;
    for (const candidate of candidates) {
      let matched = false;
      try {
        const value = await withSource(store, candidate, async (source) => {
          if (source.id !== target.sourceId) return undefined;
          matched = true;
          return { value: await use(source, { ...candidate, group: target.group }) };
        });
        if (value !== undefined) return value.value;
      } catch (error) {
        if (matched) throw error;
        failure ??= error;
      }
    }
    const why = failure === undefined ? '' : `: ${describeError(failure)}`;
    throw new UsageError(`the console cannot open source ${target.sourceId} of group ${target.group}${why}`, {
      hint: `use agentctl checkpoint set|reset --source URI --agent ${target.group}`,
      ...(failure === undefined ? {} : { cause: failure }),
    });
  }
}
