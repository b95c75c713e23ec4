import { TimeoutError } from '../errors/timeout-error.js';

/**
 * Where an agent is in its life:
 * - `BOOT`: starting, connecting to source and store;
 * - `IDLE`: connected, nothing assigned or nothing to read;
 * - `ACTIVE`: processing, behind the head of the source;
 * - `STEADY`: processing and caught up with the head;
 * - `SHUTTINGDOWN`: draining: no new work, finishing in-flight, committing;
 * - `SHUTDOWN`: stopped cleanly;
 * - `OFFLINE`: the source or store is unreachable; retrying;
 * - `ERROR`: stopped by an error.
 */
export const PROCESSING_STATES = [
  'BOOT',
  'IDLE',
  'ACTIVE',
  'STEADY',
  'SHUTTINGDOWN',
  'SHUTDOWN',
  'OFFLINE',
  'ERROR',
] as const;

export type ProcessingStateName = (typeof PROCESSING_STATES)[number];

const TERMINAL: ReadonlySet<ProcessingStateName> = new Set(['SHUTDOWN', 'ERROR']);

type Listener = (to: ProcessingStateName, from: ProcessingStateName) => void;

interface Waiter {
  readonly matches: (state: ProcessingStateName) => boolean;
  readonly resolve: (state: ProcessingStateName) => void;
}

/** The observable state of an agent, with promises to wait for states. */
export class ProcessingState {
  private current: ProcessingStateName = 'BOOT';
  private sinceMs: number;
  private readonly listeners = new Set<Listener>();
  private waiters: Waiter[] = [];

  constructor(private readonly now: () => number = Date.now) {
    this.sinceMs = now();
  }

  get value(): ProcessingStateName {
    return this.current;
  }

  /** When the current state was entered. */
  get since(): number {
    return this.sinceMs;
  }

  get terminal(): boolean {
    return TERMINAL.has(this.current);
  }

  /** Moves to `to`; a terminal state is final (later moves are ignored). */
  set(to: ProcessingStateName): void {
    if (to === this.current || this.terminal) return;
    const from = this.current;
    this.current = to;
    this.sinceMs = this.now();
    for (const listener of this.listeners) listener(to, from);
    const ready = this.waiters.filter((w) => w.matches(to));
    this.waiters = this.waiters.filter((w) => !w.matches(to));
    for (const waiter of ready) waiter.resolve(to);
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the state once it is one of `states` (at once if it already is). */
  waitUntil(states: ProcessingStateName | readonly ProcessingStateName[], timeoutMs?: number) {
    const wanted = new Set(typeof states === 'string' ? [states] : states);
    return this.wait((s) => wanted.has(s), `state in ${[...wanted].join('|')}`, timeoutMs);
  }

  /** Resolves with the state once it is none of `states`. */
  waitWhile(states: ProcessingStateName | readonly ProcessingStateName[], timeoutMs?: number) {
    const unwanted = new Set(typeof states === 'string' ? [states] : states);
    return this.wait((s) => !unwanted.has(s), `state not in ${[...unwanted].join('|')}`, timeoutMs);
  }

  private wait(
    matches: (state: ProcessingStateName) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<ProcessingStateName> {
    if (matches(this.current)) return Promise.resolve(this.current);
    return new Promise<ProcessingStateName>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        matches,
        resolve: (state) => {
          if (timer) clearTimeout(timer);
          resolve(state);
        },
      };
      this.waiters.push(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what} (is ${this.current})`),
          );
        }, timeoutMs);
        timer.unref?.();
      }
    });
  }
}
