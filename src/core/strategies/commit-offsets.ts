import type { Message } from '../types.js';
import type { Commit, DoneOutcome, ProcessingStrategy } from './processing-strategy.js';

/**
 * The terminal step: marks every submitted message done (every source offset it covers) with `outcome`.
 * Synchronous; never rejects; `poll` returns `undefined`; `join` has nothing to wait for.
 */
export class CommitOffsets implements ProcessingStrategy<unknown> {
  private closed = false;

  constructor(
    private readonly commit: Commit,
    private readonly outcome: DoneOutcome = 'processed',
  ) {}

  submit(message: Message<unknown>): void {
    if (this.closed) throw new Error('CommitOffsets: submit after close');
    this.commit(message, this.outcome);
  }

  poll(): undefined {
    return undefined;
  }

  close(): void {
    this.closed = true;
  }

  async join(): Promise<void> {
    this.closed = true;
  }

  terminate(): void {
    this.closed = true;
  }
}
