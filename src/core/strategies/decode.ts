import type { CloudEvent, EventDecoder } from '../events/cloud-event.js';
import { type Bytes, type Message, withPayload } from '../types.js';
import { InvalidMessage, type ProcessingStrategy } from './processing-strategy.js';

/**
 * Decodes raw payloads into events with the agent's decoder (CloudEvents JSON by default). A payload the
 * decoder rejects is an `InvalidMessage` with reason `decode`. Synchronous; keeps order; a message
 * rejected downstream is not decoded twice.
 */
export class Decode implements ProcessingStrategy<Bytes> {
  private carried: { readonly source: Message<Bytes>; readonly decoded: Message<CloudEvent> } | undefined;
  private closed = false;

  constructor(
    private readonly decoder: EventDecoder,
    private readonly next: ProcessingStrategy<CloudEvent>,
  ) {}

  submit(message: Message<Bytes>): void {
    if (this.closed) throw new Error('Decode: submit after close');
    let decoded: Message<CloudEvent>;
    if (this.carried?.source === message) {
      decoded = this.carried.decoded;
    } else {
      let event: CloudEvent;
      try {
        event = this.decoder(message.payload);
      } catch (cause) {
        throw new InvalidMessage(message, 'decode', { cause });
      }
      decoded = withPayload(message, event);
    }
    try {
      this.next.submit(decoded);
      this.carried = undefined;
    } catch (error) {
      this.carried = { source: message, decoded };
      throw error;
    }
  }

  poll(): Promise<void> | undefined {
    return this.next.poll();
  }

  close(): void {
    this.closed = true;
    this.next.close();
  }

  join(timeoutMs?: number): Promise<void> {
    return this.next.join(timeoutMs);
  }

  terminate(): void {
    this.closed = true;
    this.carried = undefined;
    this.next.terminate();
  }
}
