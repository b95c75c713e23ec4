import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEvents } from '../../../src/core/ops/publish-events.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('parseEvents --raw', () => {
  it('Given any lines of bytes (none holding \\n), When parsed raw, Then every non-empty line comes out byte for byte, in order, and the empty ones are counted by line number', () => {
    const line = fc.uint8Array({ maxLength: 40 }).map((b) => b.filter((x) => x !== 0x0a));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, finalNewline) => {
        const parts = lines.flatMap((l, i) => (i === 0 ? [l] : [Uint8Array.of(0x0a), l]));
        const input = Buffer.concat([
          ...parts,
          ...(finalNewline && lines.length > 0 ? [Uint8Array.of(0x0a)] : []),
        ]);
        // A last empty line is indistinguishable from a final newline: it is not a line.
        const expected =
          lines.length > 0 && lines.at(-1)!.length === 0 && !finalNewline ? lines.slice(0, -1) : lines;

        const { events, emptyLines } = parseEvents(input, { raw: true });

        expect(events.map((e) => hex(e.value))).toEqual(expected.filter((l) => l.length > 0).map(hex));
        expect(emptyLines).toEqual(expected.flatMap((l, i) => (l.length === 0 ? [i + 1] : [])));
      }),
    );
  });

  it('Given a CRLF line, an invalid UTF-8 line and a whitespace-only line, When parsed raw, Then the \\r, the bad bytes and the blanks stay, and only the event gets a key', () => {
    const input = Buffer.concat([
      Buffer.from('{"specversion":"1.0","id":"e1","type":"t","source":"/s","subject":"k1"}\r\n'),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
      Buffer.from('  \n'),
    ]);

    const { events, emptyLines } = parseEvents(input, { raw: true });

    expect(events.map((e) => Buffer.from(e.value).toString('latin1'))).toEqual([
      '{"specversion":"1.0","id":"e1","type":"t","source":"/s","subject":"k1"}\r',
      '{\xff}',
      '  ',
    ]);
    expect(events.map((e) => e.key)).toEqual(['k1', undefined, undefined]);
    expect(emptyLines).toEqual([]);
  });
});

describe('parseEvents (checked)', () => {
  it('Given NDJSON whose second line is not UTF-8, When parsed, Then it is refused naming line 2', () => {
    const input = Buffer.concat([
      Buffer.from('{"specversion":"1.0","id":"e1","type":"t","source":"/s"}\n'),
      Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x0a]),
    ]);

    expect(() => parseEvents(input)).toThrow(/line 2 is not valid UTF-8/);
  });

  it('Given UTF-8 events with blank lines between them, When parsed, Then the events come out and nothing is reported skipped', () => {
    const input = Buffer.from('{"specversion":"1.0","id":"é","type":"t","source":"/s"}\n\n  \n');

    const { events, emptyLines } = parseEvents(input);

    expect(events.map((e) => JSON.parse(Buffer.from(e.value).toString('utf8')).id)).toEqual(['é']);
    expect(emptyLines).toEqual([]);
  });

  it('Given NDJSON events written with spaces, their own key order and a CRLF, When parsed, Then each goes out as written, trimmed of the whitespace around it', () => {
    const lines = [
      '{ "type": "t", "id": "e1", "specversion": "1.0", "source": "/s", "data": { "n": 1.0, "s": "\\u00e9" } }',
      '\t{"specversion":"1.0","id":"e2","type":"t","source":"/s","subject":"k2"}  ',
    ];
    const input = Buffer.from(`${lines[0]}\r\n${lines[1]}\n`);

    const { events } = parseEvents(input);

    expect(events.map((e) => Buffer.from(e.value).toString('utf8'))).toEqual(lines.map((l) => l.trim()));
    expect(events.map((e) => e.key)).toEqual(['e1', 'k2']);
  });

  it('Given a one-line event without specversion and an event in a JSON array, When parsed, Then both are serialised (the first with its default specversion)', () => {
    const missing = parseEvents(
      '{ "id": "e1", "type": "t", "source": "/s" }\n{"specversion":"1.0","id":"e2","type":"t","source":"/s"}',
    );
    const array = parseEvents('[ {"specversion": "1.0", "id": "e3", "type": "t", "source": "/s"} ]');

    expect(Buffer.from(missing.events[0]!.value).toString('utf8')).toBe(
      '{"id":"e1","type":"t","source":"/s","specversion":"1.0"}',
    );
    expect(Buffer.from(array.events[0]!.value).toString('utf8')).toBe(
      '{"specversion":"1.0","id":"e3","type":"t","source":"/s"}',
    );
  });
});
