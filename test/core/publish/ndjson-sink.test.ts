import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { flushMicrotasks } from '../../../src/core/clock.js';
import type { PublishRecord } from '../../../src/core/publish/publisher.js';
import { NdjsonSink, toNdjsonLine } from '../../../src/core/publish/sinks/ndjson-sink.js';
import { tempDir } from '../../support/temp.js';

const text = (s: string) => new TextEncoder().encode(s);

function record(id: string, value: Uint8Array, extra: Partial<PublishRecord> = {}): PublishRecord {
  return { id, value, timestamp: 1_700_000_000_000, ...extra };
}

function lines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** A writable whose writes complete only when the test says so. */
class HeldWritable extends Writable {
  readonly chunks: Buffer[] = [];
  private pending: ((error?: Error | null) => void)[] = [];

  constructor(private readonly failWith?: Error) {
    super({ highWaterMark: 1 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk);
    if (this.failWith !== undefined) callback(this.failWith);
    else this.pending.push(callback);
  }

  release(): void {
    const pending = this.pending;
    this.pending = [];
    for (const callback of pending) callback();
  }
}

describe('toNdjsonLine', () => {
  it('given a JSON value, then it is embedded as JSON on one line with its exact numbers', () => {
    const value = text('{\n  "n": 12345678901234567890,\r\n  "s": "a\\nb"\n}');
    const line = toNdjsonLine(record('r1', value, { key: 'k', headers: { type: 'x' } }));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
    expect(line).toContain('"n": 12345678901234567890');
    expect(JSON.parse(line)).toEqual({
      id: 'r1',
      key: 'k',
      timestamp: 1_700_000_000_000,
      headers: { type: 'x' },
      value: { n: Number('12345678901234567890'), s: 'a\nb' },
    });
  });

  it('given bytes that are not JSON, then the value is base64 and the line says so', () => {
    const binary = new Uint8Array([0, 255, 10, 13]);
    for (const value of [binary, text('not json'), text(''), new Uint8Array([0xc3, 0x28])]) {
      const parsed = JSON.parse(toNdjsonLine(record('r1', value)));
      expect(parsed).toMatchObject({ key: null, headers: {}, encoding: 'base64' });
      expect(Array.from(Buffer.from(parsed.value, 'base64'))).toEqual(Array.from(value));
    }
  });

  it('given a JSON scalar, then it is embedded as that scalar', () => {
    expect(JSON.parse(toNdjsonLine(record('r1', text('"hi"')))).value).toBe('hi');
    expect(JSON.parse(toNdjsonLine(record('r1', text(' 42 ')))).value).toBe(42);
  });
});

describe('NdjsonSink.file', () => {
  it('given a path in missing directories, when a batch is sent, then its lines are in the file when send resolves', async () => {
    const path = join(tempDir(), 'out', 'nested', 'results.ndjson');
    const sink = NdjsonSink.file(path);
    expect(sink.name).toBe(`file:${path}`);
    const result = await sink.send([record('a', text('{"x":1}')), record('b', new Uint8Array([1, 2, 3]))]);
    expect(result.failures.size).toBe(0);
    expect(lines(path)).toEqual([
      { id: 'a', key: null, timestamp: 1_700_000_000_000, headers: {}, value: { x: 1 } },
      { id: 'b', key: null, timestamp: 1_700_000_000_000, headers: {}, value: 'AQID', encoding: 'base64' },
    ]);
    await sink.close();
  });

  it('given an existing file, when sinks send to it in turn, then lines are appended after what was there', async () => {
    const path = join(tempDir(), 'results.ndjson');
    writeFileSync(path, '{"id":"old"}\n');
    const first = NdjsonSink.file(path, { durable: true });
    await first.send([record('a', text('1'))]);
    await first.send([record('b', text('2'))]);
    await first.close();
    const second = NdjsonSink.file(path);
    await second.send([record('c', text('3'))]);
    await second.close();
    expect(lines(path).map((line) => (line as { id: string }).id)).toEqual(['old', 'a', 'b', 'c']);
  });

  it('given a file whose last line a crash cut short, when a sink appends to it, then its first line is a line of its own, not glued to the cut one', async () => {
    const path = join(tempDir(), 'out.ndjson');
    writeFileSync(path, `${toNdjsonLine(record('a', text('1')))}{"id":"b","val`);
    const sink = NdjsonSink.file(path);
    await sink.send([record('c', text('3'))]);
    await sink.close();
    const [whole, cut, appended, end] = readFileSync(path, 'utf8').split('\n');
    expect(JSON.parse(whole!)).toMatchObject({ id: 'a' });
    expect(cut).toBe('{"id":"b","val');
    expect(JSON.parse(appended!)).toMatchObject({ id: 'c', value: 3 });
    expect(end).toBe('');
  });

  it('given a closed sink, when sending, then it throws', async () => {
    const sink = NdjsonSink.file(join(tempDir(), 'x.ndjson'));
    await sink.close();
    await expect(sink.send([record('a', text('1'))])).rejects.toThrow('closed');
  });
});

describe('NdjsonSink.stdout', () => {
  it('given the default, then it is named stdout', () => {
    expect(NdjsonSink.stdout().name).toBe('stdout');
  });

  it('given a slow stream, when a batch is sent, then it is one write and send waits until the stream took it', async () => {
    const stream = new HeldWritable();
    const sink = NdjsonSink.stdout({ stream });
    let done = false;
    const sending = sink
      .send([record('a', text('1')), record('b', text('2')), record('c', text('3'))])
      .then(() => {
        done = true;
      });
    await flushMicrotasks();
    expect(stream.chunks).toHaveLength(1);
    expect(done).toBe(false);
    stream.release();
    await sending;
    expect(stream.chunks[0]!.toString().split('\n')).toHaveLength(4);
    await sink.close();
    expect(stream.writableEnded).toBe(false);
  });

  it('given a stream that fails the write, then send rejects with its error', async () => {
    const stream = new HeldWritable(new Error('EPIPE'));
    const sink = NdjsonSink.stdout({ stream });
    await expect(sink.send([record('a', text('1'))])).rejects.toThrow('EPIPE');
  });

  it('given a stuck stream, when the signal aborts, then send rejects with its reason', async () => {
    const stream = new HeldWritable();
    const sink = NdjsonSink.stdout({ stream });
    const controller = new AbortController();
    const sending = sink.send([record('a', text('1'))], controller.signal);
    await flushMicrotasks();
    controller.abort(new Error('timed out'));
    await expect(sending).rejects.toThrow('timed out');
  });
});
