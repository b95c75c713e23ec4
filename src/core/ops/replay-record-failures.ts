import { InvalidMessage, type ProcessingStrategy } from '../strategies/processing-strategy.js';
import type { Bytes, Message } from '../types.js';

/**
 * Wraps a replay chain: an `InvalidMessage` thrown by `submit`, `poll` or `join` below is handed to
 * `onInvalid` (which records it on the item being replayed) instead of being parked as a new item.
 */
export class RecordFailures implements ProcessingStrategy<Bytes> {
  constructor(
    private readonly next: ProcessingStrategy<Bytes>,
    private readonly onInvalid: (error: InvalidMessage) => void,
  ) {}

  submit(message: Message<Bytes>): void {
    try {
      this.next.submit(message);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      this.onInvalid(error);
    }
  }

  poll(): Promise<void> | undefined {
    let pending: Promise<void> | undefined;
    try {
      pending = this.next.poll();
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      this.onInvalid(error);
      return this.poll();
    }
    return pending?.then(undefined, (error: unknown) => {
      if (!(error instanceof InvalidMessage)) throw error;
      this.onInvalid(error);
      return this.poll();
    });
  }

  close(): void {
    this.next.close();
  }

  async join(timeoutMs?: number): Promise<void> {
    for (;;) {
      try {
        await this.next.join(timeoutMs);
        return;
      } catch (error) {
        if (!(error instanceof InvalidMessage)) throw error;
        this.onInvalid(error);
      }
    }
  }

  terminate(): void {
    this.next.terminate();
  }
}
