import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/core/errors/decode-error.js';
import { decodeCloudEvent, encodeEvent } from '../../../src/core/events/cloud-event.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('decodeCloudEvent', () => {
  it('round-trips an event through its JSON bytes', () => {
    const event = { specversion: '1.0', id: 'e1', type: 't', source: '/s', data: { n: 1 }, traceparent: 'x' };
    expect(decodeCloudEvent(encodeEvent(event))).toEqual(event);
  });

  it('defaults a missing specversion to 1.0', () => {
    expect(decodeCloudEvent(bytes('{"id":"1","type":"t","source":"s"}')).specversion).toBe('1.0');
  });

  it.each([
    ['not JSON', '{nope', /not valid JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['missing id', '{"type":"t","source":"s"}', /"id" must be a non-empty string/],
    ['an empty type', '{"id":"1","type":"","source":"s"}', /"type"/],
  ])('rejects %s with a DecodeError', (_, input, message) => {
    expect(() => decodeCloudEvent(bytes(input))).toThrow(DecodeError);
    expect(() => decodeCloudEvent(bytes(input))).toThrow(message);
  });

  it('rejects bytes that are not UTF-8', () => {
    expect(() => decodeCloudEvent(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(/UTF-8/);
  });
});
