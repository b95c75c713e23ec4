import type { Message } from '../../types.js';
import { ForwardingStrategy } from '../forwarding-strategy.js';
import { isMessageRejected, MessageRejected } from '../processing-strategy.js';

/**
 * Forwards each member of a batch (as made by `Batch`) as itself, in order. Synchronous; `poll` returns
 * what the next step's does.
 *
 * When the next step rejects a member, `submit` throws `MessageRejected` and remembers how far it got:
 * the caller submits the same batch object again and forwarding resumes at the rejected member, so no
 * member is lost or forwarded twice. Until then any other batch is rejected.
 * @throws MessageRejected as above.
 * @throws any other error of the next step, as is; the rest of that batch is dropped (never marked done,
 *   so it is redelivered after a restart). Put `DeadLetter` after `Unbatch` to park single members.
 */
export class Unbatch<T> extends ForwardingStrategy<readonly Message<T>[], T> {
  private pending: Message<readonly Message<T>[]> | undefined;
  private resumeAt = 0;

  submit(batch: Message<readonly Message<T>[]>): void {
    if (this.closed) throw new Error('Unbatch: submit after close');
    let i = 0;
    if (this.pending !== undefined) {
      if (batch !== this.pending) throw new MessageRejected();
      i = this.resumeAt;
      this.pending = undefined;
    }
    const members = batch.payload;
    for (; i < members.length; i++) {
      try {
        this.next.submit(members[i]!);
      } catch (error) {
        if (isMessageRejected(error) && i > 0) {
          this.pending = batch;
          this.resumeAt = i;
        }
        throw error;
      }
    }
  }

  override terminate(): void {
    this.pending = undefined;
    super.terminate();
  }
}
