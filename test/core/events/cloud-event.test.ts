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

  it.each([
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
    ['an overlong encoding', [0xc0, 0xaf]],
    ['a truncated sequence', [0xe2, 0x82]],
  ])('rejects %s inside a string as not UTF-8, with a DecodeError', (_, bad) => {
    const raw = Uint8Array.from([...bytes('{"id":"'), ...bad, ...bytes('","type":"t","source":"s"}')]);
    expect(() => decodeCloudEvent(raw)).toThrow(DecodeError);
    expect(() => decodeCloudEvent(raw)).toThrow(/UTF-8/);
  });

  it('keeps a byte order mark, which JSON does not allow: the payload is refused as before', () => {
    const raw = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes('{"id":"1","type":"t","source":"s"}')]);
    expect(() => decodeCloudEvent(raw)).toThrow(/not valid JSON/);
  });

  it('decodes a view into a larger buffer (as a Kinesis record is) from its own bytes only', () => {
    const whole = bytes('xx{"id":"é","type":"t","source":"s"}yy');
    const view = new Uint8Array(whole.buffer, 2, whole.byteLength - 4);
    expect(decodeCloudEvent(view).id).toBe('é');
  });
});
