import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/core/errors/decode-error.js';
import {
  type CloudEvent,
  decodeCloudEvent,
  type EventDecoder,
  encodeEvent,
} from '../../../src/core/events/cloud-event.js';
import { Decode } from '../../../src/core/strategies/decode.js';
import {
  InvalidMessage,
  isMessageRejected,
  MessageRejected,
} from '../../../src/core/strategies/processing-strategy.js';
import type { Bytes, Message } from '../../../src/core/types.js';
import { Collect } from '../../support/collect.js';
import { message, nth } from '../../support/messages.js';
import { FAILING_INDEX, strategyBehaviour } from './strategy-behaviour.js';

const encoder = new TextEncoder();

function eventOf(i: number): CloudEvent {
  return { specversion: '1.0', id: `e${i}`, type: 'order.created', source: 'test', data: { i } };
}

/** The i-th message: the bytes of event `e{i}`, at `nth(i)`'s coordinates. */
function bytesAt(i: number, bytes: Bytes = encodeEvent(eventOf(i))): Message<Bytes> {
  const at = nth(i);
  return message(bytes, {
    partition: at.partition,
    position: at.position,
    timestamp: at.timestamp,
    raw: bytes,
    attributes: { key: `k${i}` },
  });
}

/** The default decoder, counting its calls. */
function countingDecoder(): { decoder: EventDecoder; calls: () => number } {
  let calls = 0;
  return {
    decoder: (raw) => {
      calls++;
      return decodeCloudEvent(raw);
    },
    calls: () => calls,
  };
}

strategyBehaviour(
  'Decode',
  (next) => new Decode(decodeCloudEvent, next),
  (i) => bytesAt(i),
  {
    failing: (next, ctx) =>
      new Decode((raw) => {
        const event = decodeCloudEvent(raw);
        if (event.id === `e${FAILING_INDEX}`) throw ctx.failure;
        return event;
      }, next),
  },
);

function decodeFailure(decode: Decode, input: Message<Bytes>): InvalidMessage {
  try {
    decode.submit(input);
  } catch (error) {
    if (error instanceof InvalidMessage) return error;
    throw error;
  }
  throw new Error('submit did not throw');
}

describe('Decode', () => {
  it('given CloudEvent bytes, when submitted, then the event is forwarded with the coordinates, raw bytes and attributes kept', () => {
    const next = new Collect<CloudEvent>();
    const input = bytesAt(4);
    new Decode(decodeCloudEvent, next).submit(input);
    const [out] = next.messages;
    expect(out?.payload).toEqual(eventOf(4));
    expect(out).toMatchObject({
      partition: input.partition,
      position: input.position,
      timestamp: input.timestamp,
      attributes: input.attributes,
    });
    expect(out?.raw).toBe(input.raw);
  });

  it.each([
    ['invalid JSON', '{"id": "e1", "type":'],
    ['a JSON array', '[1, 2, 3]'],
    ['an object without a type', '{"id":"e1","source":"s","specversion":"1.0"}'],
    ['an empty payload', ''],
  ])(
    'given %s, when submitted, then it is an InvalidMessage with reason decode and nothing is forwarded',
    (_, text) => {
      const next = new Collect<CloudEvent>();
      const input = bytesAt(2, encoder.encode(text));
      const error = decodeFailure(new Decode(decodeCloudEvent, next), input);
      expect(error.reason).toBe('decode');
      expect(error.subject).toBe(input);
      expect(error.cause).toBeInstanceOf(DecodeError);
      expect(next.messages).toEqual([]);
    },
  );

  it('given bytes that are not UTF-8, when submitted, then it is an InvalidMessage with reason decode', () => {
    const error = decodeFailure(new Decode(decodeCloudEvent, new Collect()), bytesAt(0, Uint8Array.of(0xff)));
    expect(error.reason).toBe('decode');
    expect((error.cause as Error).message).toContain('UTF-8');
  });

  it('given a custom decoder that throws anything, when submitted, then the thrown value is the cause', () => {
    const thrown = new RangeError('unknown envelope');
    const decode = new Decode(() => {
      throw thrown;
    }, new Collect());
    const error = decodeFailure(decode, bytesAt(0));
    expect(error.reason).toBe('decode');
    expect(error.cause).toBe(thrown);
  });

  it('given a next step that rejects, when the same message is submitted again, then it is decoded once and forwarded once', () => {
    const next = new Collect<CloudEvent>().rejectNext(2);
    const { decoder, calls } = countingDecoder();
    const decode = new Decode(decoder, next);
    const input = bytesAt(1);
    expect(() => decode.submit(input)).toThrow(MessageRejected);
    expect(() => decode.submit(input)).toThrow(MessageRejected);
    decode.submit(input);
    expect(calls()).toBe(1);
    expect(next.payloads).toEqual([eventOf(1)]);
  });

  it('given a rejected message, when a different message is submitted instead, then that one is decoded on its own', () => {
    const next = new Collect<CloudEvent>().rejectNext(1);
    const { decoder, calls } = countingDecoder();
    const decode = new Decode(decoder, next);
    expect(() => decode.submit(bytesAt(1))).toThrow(MessageRejected);
    decode.submit(bytesAt(2));
    decode.submit(bytesAt(1));
    expect(calls()).toBe(3);
    expect(next.payloads.map((e) => e.id)).toEqual(['e2', 'e1']);
  });

  it('when closed, then an undecodable message is refused with a plain error rather than parked as invalid', () => {
    const { decoder, calls } = countingDecoder();
    const decode = new Decode(decoder, new Collect());
    decode.close();
    let thrown: unknown;
    try {
      decode.submit(bytesAt(0, encoder.encode('not json')));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(InvalidMessage);
    expect(isMessageRejected(thrown)).toBe(false);
    expect(calls()).toBe(0);
  });

  it('when closed and joined, then the next step is closed and joined with the same timeout', async () => {
    const next = new Collect<CloudEvent>();
    const decode = new Decode(decodeCloudEvent, next);
    decode.close();
    await decode.join(1_234);
    expect(next.closed).toBe(true);
    expect(next.joinTimeout).toBe(1_234);
  });
});
