import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isSourceUnavailableError } from '../../../src/core/errors/source-unavailable-error.js';
import { FileSource, type FileSourceOptions } from '../../../src/core/sources/file-source.js';
import { openSqliteStore } from '../../../src/core/store/sqlite/sqlite-state-store.js';
import type { Bytes, Message, StartPosition } from '../../../src/core/types.js';
import { tempDir } from '../../support/temp.js';
import { sourceContract } from './source-contract.js';

const text = (m: Message<Bytes>) => new TextDecoder().decode(m.payload);

/** A file with this content in a fresh temp directory. */
function aFile(content: string): string {
  const path = join(tempDir('file-source-'), 'events.ndjson');
  writeFileSync(path, content);
  return path;
}

/** A connected source on `path`, assigned from `start`, closed when the test ends. */
async function reading(
  path: string,
  start: StartPosition = { kind: 'earliest' },
  options: Partial<FileSourceOptions> = {},
): Promise<FileSource> {
  const source = new FileSource({ path, idleMs: 5, ...options });
  onTestFinished(() => source.close());
  await source.connect();
  await source.assign(new Map([['0', start]]));
  return source;
}

/** Polls until `count` messages came or `polls` polls found nothing new in a row. */
async function drain(
  source: FileSource,
  count = Number.POSITIVE_INFINITY,
  polls = 3,
): Promise<Message<Bytes>[]> {
  const got: Message<Bytes>[] = [];
  let idle = 0;
  while (got.length < count && idle < polls) {
    const { messages } = await source.poll(100);
    got.push(...messages);
    idle = messages.length === 0 ? idle + 1 : 0;
  }
  return got;
}

const lines = (messages: readonly Message<Bytes>[]) => messages.map((m) => [m.position, text(m)]);

sourceContract(
  'FileSource over an NDJSON file',
  async () => {
    const path = aFile('');
    return {
      source: new FileSource({ path, idleMs: 10 }),
      append: async (values) => appendFileSync(path, values.map((v) => `${v}\n`).join('')),
      close: async () => {},
    };
  },
  { replayable: true },
);

describe('FileSource', () => {
  it('Given blank and whitespace-only lines, When read, Then they are skipped but still counted in positions', async () => {
    const source = await reading(aFile('{"a":1}\n\n   \n{"b":2}\n\n{"c":3}\n'));

    expect(lines(await drain(source, 3))).toEqual([
      ['1', '{"a":1}'],
      ['4', '{"b":2}'],
      ['6', '{"c":3}'],
    ]);
  });

  it('Given CRLF line ends, When read, Then payloads carry no carriage return', async () => {
    const source = await reading(aFile('{"a":1}\r\n\r\n{"b":2}\r\n'));

    const got = await drain(source, 2);

    expect(lines(got)).toEqual([
      ['1', '{"a":1}'],
      ['3', '{"b":2}'],
    ]);
    for (const m of got) expect(m.raw).toEqual(m.payload);
  });

  it('Given a last line without a newline, When the file stops growing, Then it is delivered once', async () => {
    const source = await reading(aFile('{"a":1}\n{"b":2}'));

    const first = await source.poll(10);
    expect(lines(first.messages)).toEqual([['1', '{"a":1}']]);

    expect(lines(await drain(source))).toEqual([['2', '{"b":2}']]);
  });

  it('Given a last line taken without its newline, When the writer ends it and appends more, Then positions stay the line numbers of the file', async () => {
    const path = aFile('{"a":1}\n{"b":2}');
    const source = await reading(path);
    await drain(source);

    appendFileSync(path, '\n{"c":3}\n{"d":4}\n');

    expect(lines(await drain(source))).toEqual([
      ['3', '{"c":3}'],
      ['4', '{"d":4}'],
    ]);
  });

  it('Given a checkpoint from a reader that took an unterminated last line, When another reader resumes after it, Then the next line is neither lost nor repeated', async () => {
    const path = aFile('{"a":1}\n{"b":2}');
    const first = await reading(path);
    await drain(first);
    appendFileSync(path, '\n{"c":3}\n{"d":4}\n');
    const [c] = await drain(first, 1);

    const second = await reading(path, { kind: 'after', position: c!.position });

    expect(lines(await drain(second))).toEqual([['4', '{"d":4}']]);
  });

  it('Given a last line taken before the writer finished it, When the rest of it arrives, Then the rest is not delivered as a line of its own', async () => {
    const path = aFile('{"a":1}\n{"b":');
    const source = await reading(path);
    expect(lines(await drain(source))).toEqual([
      ['1', '{"a":1}'],
      ['2', '{"b":'],
    ]);

    appendFileSync(path, '2}');
    expect(await drain(source)).toEqual([]);
    appendFileSync(path, '\n{"c":3}\n');

    expect(lines(await drain(source))).toEqual([['3', '{"c":3}']]);
  });

  it('Given a checkpoint at an unterminated last line, When a reader resumes after it and the line is ended, Then only the lines after it arrive', async () => {
    const path = aFile('{"a":1}\n{"b":2}');
    const source = await reading(path, { kind: 'after', position: '2' });
    expect(await drain(source)).toEqual([]);

    appendFileSync(path, '\n{"c":3}\n');

    expect(lines(await drain(source))).toEqual([['3', '{"c":3}']]);
  });

  it('Given a checkpoint before an unterminated last line, When a reader resumes after it, Then that line is delivered once the file stops growing', async () => {
    const source = await reading(aFile('{"a":1}\n{"b":2}'), { kind: 'after', position: '1' });

    expect(lines(await drain(source))).toEqual([['2', '{"b":2}']]);
  });

  it('Given a last line still being written, When the file grows between polls, Then the line is taken whole once it is complete', async () => {
    const path = aFile('{"a":1}\n{"b":');
    const source = await reading(path);

    expect(lines((await source.poll(10)).messages)).toEqual([['1', '{"a":1}']]);
    appendFileSync(path, '2}');
    expect((await source.poll(10)).messages).toEqual([]);
    appendFileSync(path, '\n');

    expect(lines(await drain(source))).toEqual([['2', '{"b":2}']]);
  });

  it('Given a CRLF last line without a newline, When the file stops growing, Then it is delivered without the carriage return', async () => {
    const source = await reading(aFile('{"a":1}\r\n{"b":2}\r'));

    expect(lines(await drain(source))).toEqual([
      ['1', '{"a":1}'],
      ['2', '{"b":2}'],
    ]);
  });

  it('Given chunks smaller than a line, When read, Then lines spanning chunks arrive whole', async () => {
    const values = Array.from({ length: 20 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(i * 3) }));
    const source = await reading(aFile(`${values.join('\n')}\n`), { kind: 'earliest' }, { chunkBytes: 16 });

    expect((await drain(source, values.length)).map(text)).toEqual(values);
  });

  it('Given more lines than asked for, When polled with a max, Then no poll returns more and none is lost or repeated', async () => {
    const values = Array.from({ length: 25 }, (_, i) => `{"i":${i}}`);
    const source = await reading(aFile(`${values.join('\n')}\n`));

    const sizes: number[] = [];
    const got: Message<Bytes>[] = [];
    while (got.length < values.length) {
      const { messages } = await source.poll(7);
      sizes.push(messages.length);
      got.push(...messages);
    }

    expect(sizes).toEqual([7, 7, 7, 4]);
    expect(got.map(text)).toEqual(values);
  });

  it('Given a file that does not exist, When connecting, Then it fails with SourceUnavailableError naming the path', async () => {
    const path = join(tempDir('file-source-'), 'missing.ndjson');
    const source = new FileSource({ path });

    const error = await source.connect().catch((e: unknown) => e);

    expect(isSourceUnavailableError(error)).toBe(true);
    expect((error as Error).message).toContain(path);
  });

  it('Given a directory, When connecting, Then it fails with SourceUnavailableError', async () => {
    const path = join(tempDir('file-source-'), 'a-directory');
    mkdirSync(path);

    const error = await new FileSource({ path }).connect().catch((e: unknown) => e);

    expect(isSourceUnavailableError(error)).toBe(true);
  });

  it('Given lines with blanks, When assigned at a line, Then that line and those after it are delivered', async () => {
    const source = await reading(aFile('{"a":1}\n\n{"c":3}\n{"d":4}\n'), { kind: 'at', position: '3' });

    expect(lines(await drain(source))).toEqual([
      ['3', '{"c":3}'],
      ['4', '{"d":4}'],
    ]);
  });

  it('Given lines with blanks, When assigned after a line, Then delivery resumes behind it with the same line numbers', async () => {
    const source = await reading(aFile('{"a":1}\n\n{"c":3}\n{"d":4}\n'), { kind: 'after', position: '2' });

    expect(lines(await drain(source))).toEqual([
      ['3', '{"c":3}'],
      ['4', '{"d":4}'],
    ]);
  });

  it('Given a checkpoint past the end of the file, When assigned after it, Then nothing is delivered until new lines come', async () => {
    const path = aFile('{"a":1}\n{"b":2}\n');
    const source = await reading(path, { kind: 'after', position: '2' });

    expect(await drain(source)).toEqual([]);
    appendFileSync(path, '{"c":3}\n');
    expect(lines(await drain(source))).toEqual([['3', '{"c":3}']]);
  });

  it('Given a group checkpoint in a store, When described, Then it reports committed, latest line and lag', async () => {
    const store = await openSqliteStore({ path: join(tempDir('file-source-'), 'agent.db') });
    onTestFinished(() => store.close());
    const path = aFile('{"a":1}\n\n{"c":3}\n{"d":4}\n{"e":5}');
    const source = await reading(path, { kind: 'earliest' }, { store, group: 'g' });
    await store.checkpoints.set([{ group: 'g', source: source.id, partition: '0', position: '3' }]);

    expect(await source.describe()).toEqual([
      { partition: '0', state: 'reading', committed: '3', latest: '5', lagRecords: 2 },
    ]);
  });
});
