import { type Clock, nextTurn } from '../clock.js';

/** How long the processor may keep the event loop busy on microtasks alone before it gives it a turn. */
export const TURN_EVERY_MS = 25;

/**
 * Gives the event loop a turn (timers, I/O callbacks) when the processor has kept it to microtasks for
 * `everyMs` of its clock. Reading from a source that answers at once (the local log) and running processes
 * inline never waits on a timer or I/O, so without it a backlog of millions of messages would starve the
 * agent's timers — heartbeats, lease renewals — for as long as it lasts. Once every few milliseconds the
 * turn costs nothing measurable; a turn per batch would (it was tried: the simulation ran twice as long).
 */
export class LoopTurns {
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly everyMs = TURN_EVERY_MS,
  ) {
    this.last = clock.now();
  }

  /** The loop just waited on a timer or I/O: the event loop had its turn. */
  turned(): void {
    this.last = this.clock.now();
  }

  /** A turn of the event loop when one is due, else `undefined` (go on at once). */
  due(): Promise<void> | undefined {
    const now = this.clock.now();
    if (now - this.last < this.everyMs) return undefined;
    this.last = now;
    return nextTurn();
  }
}
