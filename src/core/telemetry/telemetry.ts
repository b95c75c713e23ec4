import type { DoneOutcome } from '../model/done-outcome.js';
import type { Effort } from '../model/effort.js';
import type { RunRecord } from '../model/run-record.js';
import type { ProcessingStateName } from '../state/processing-state.js';
import type { FailureReason, Partition, Position, StartPosition } from '../types.js';

/** Every typed event the engine emits, by name. */
export interface EngineEvents {
  /** A message is done. Emitted per message: subscribe only when you need it. */
  readonly message: {
    readonly partition: Partition;
    readonly position: Position;
    readonly outcome: DoneOutcome;
  };
  /** A run changed state. */
  readonly run: { readonly run: RunRecord };
  /** A step or publish attempt finished; `nextAttemptAt` is set when a retry follows. */
  readonly attempt: {
    readonly kind: 'step' | 'publish';
    readonly id: string;
    readonly name: string;
    readonly attempt: number;
    readonly ok: boolean;
    readonly error?: string;
    readonly nextAttemptAt?: number;
  };
  /** A publish effort ended. */
  readonly effort: { readonly effort: Effort };
  readonly parked: {
    readonly reason: FailureReason;
    readonly partition: Partition;
    readonly position: Position;
    readonly error: string;
  };
  readonly commit: { readonly positions: Readonly<Record<Partition, Position>>; readonly durationMs: number };
  readonly state: { readonly from: ProcessingStateName; readonly to: ProcessingStateName };
  readonly backpressure: { readonly partition: Partition; readonly paused: boolean };
  readonly assigned: {
    readonly partitions: readonly Partition[];
    /**
     * Where each partition starts; `initial` marks those without a checkpoint. Where the broker keeps the
     * position (`keptBy: 'broker'`, classic and quorum queues) there is no checkpoint to miss: the broker
     * delivers what was not acked, and `initial` is false.
     */
    readonly starts: Readonly<
      Record<Partition, { readonly start: StartPosition; readonly initial: boolean }>
    >;
    readonly keptBy: 'store' | 'broker';
  };
  readonly revoked: { readonly partitions: readonly Partition[]; readonly reason: string };
  /** A recoverable problem (reconnecting, lease renewal failed); fatal ones end `run()`. */
  readonly warning: { readonly message: string; readonly error?: unknown };
}

export type EngineEventName = keyof EngineEvents;
type Handler<K extends EngineEventName> = (event: EngineEvents[K]) => void;

/**
 * Typed engine events instead of a logger. Emitting to a name without handlers costs one map lookup, so
 * the hot path can call `emit` freely; a handler that throws is isolated from the engine.
 */
export class Telemetry {
  private readonly handlers = new Map<EngineEventName, Set<Handler<never>>>();

  on<K extends EngineEventName>(name: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
    }
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  /** True when someone listens to `name` (lets callers skip building an event). */
  has(name: EngineEventName): boolean {
    const set = this.handlers.get(name);
    return set !== undefined && set.size > 0;
  }

  emit<K extends EngineEventName>(name: K, event: EngineEvents[K]): void {
    const set = this.handlers.get(name);
    if (!set || set.size === 0) return;
    for (const handler of set) {
      try {
        (handler as Handler<K>)(event);
      } catch {
        // A broken observer must not break the engine.
      }
    }
  }
}
