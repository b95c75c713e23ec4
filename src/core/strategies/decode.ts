import type { CloudEvent, EventDecoder } from '../events/cloud-event.js';
import { type Bytes, type Message, withPayload } from '../types.js';
import { CarriedTransform } from './carried-transform.js';
import { ForwardingStrategy } from './forwarding-strategy.js';
import { InvalidMessage, type ProcessingStrategy } from './processing-strategy.js';

/**
 * Decodes raw payloads into events with the agent's decoder (CloudEvents JSON by default). A payload the
 * decoder rejects is an `InvalidMessage` with reason `decode`. Synchronous; keeps order; a message
 * rejected downstream is not decoded twice. A message that brings its text (`Message.text`) is decoded
 * from it when the decoder can (`EventDecoder.fromText`).
 */
export class Decode extends ForwardingStrategy<Bytes, CloudEvent> {
  private readonly carried = new CarriedTransform<Bytes, CloudEvent>();

  constructor(
    private readonly decoder: EventDecoder,
    next: ProcessingStrategy<CloudEvent>,
  ) {
    super(next);
  }

  submit(message: Message<Bytes>): void {
    if (this.closed) throw new Error('Decode: submit after close');
    const decoded = this.carried.resultFor(message) ?? this.decode(message);
    this.carried.forward(message, decoded, this.next);
  }

  override terminate(): void {
    this.carried.clear();
    super.terminate();
  }

  private decode(message: Message<Bytes>): Message<CloudEvent> {
    let event: CloudEvent;
    try {
      const decoder = this.decoder;
      event =
        message.text !== undefined && decoder.fromText !== undefined
          ? decoder.fromText(message.text)
          : decoder(message.payload);
    } catch (cause) {
      throw new InvalidMessage(message, 'decode', { cause });
    }
    return withPayload(message, event);
  }
}
