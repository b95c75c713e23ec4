import type { IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentctl } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import {
  type Kinesalite,
  listShards,
  placeRecords,
  splitShard,
  startKinesalite,
} from './support/kinesalite.js';

interface Line {
  partition: string;
  position: string;
  timestamp: number;
  key?: string;
  event?: { data: { n: number } };
}

let server: Kinesalite;
/** The `GetRecords` calls kinesalite served, with their `Limit`. */
const getRecords: { limit: number | undefined }[] = [];
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

const event = (n: number) =>
  JSON.stringify({ specversion: '1.0', id: `e-${n}`, source: '/t', type: 'order.placed', data: { n } });

/** Runs `agentctl peek` to its end (asynchronously: kinesalite is served by this process). */
async function peek(args: string[]): Promise<{ code: number; lines: Line[]; stderr: string }> {
  const run = startAgentctl(['peek', '--json', ...args], { cwd: tempDir('peek-kinesis-') });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), 60_000);
  const result = await run.done;
  clearTimeout(timer);
  return { code: result.code, lines: result.code === 0 ? result.lines<Line>() : [], stderr: result.stderr };
}

/** A stream of one shard holding events 0–9, then (after `splitAt`) 10, split, then 11–20 in its two children. */
async function givenASplitStream(): Promise<{
  uri: string;
  parent: string;
  sequences: string[];
  splitAt: number;
}> {
  const client = server.client();
  const stream = await server.createStream(1, 'peek');
  const before = await placeRecords(
    client,
    stream,
    Array.from({ length: 10 }, (_, n) => ({ key: `k${n}`, data: event(n) })),
  );
  await delay(1_100);
  const splitAt = Date.now();
  await delay(50);
  // kinesalite never answers GetShardIterator AT_TIMESTAMP on a shard with no record after that time
  // (Kinesis does): the parent gets one record after `splitAt`.
  await placeRecords(client, stream, [{ key: 'k10', data: event(10) }]);
  const parent = before[0]!.shard;
  await splitShard(client, stream, parent);
  for (let n = 11; n < 21; n++) await placeRecords(client, stream, [{ key: `k${n}`, data: event(n) }]);
  expect((await listShards(client, stream)).length).toBe(3);
  return { uri: server.uri(stream), parent, sequences: before.map((p) => p.sequence), splitAt };
}

describe('agentctl peek on Kinesis (kinesalite)', () => {
  let stream: Awaited<ReturnType<typeof givenASplitStream>>;
  beforeAll(async () => {
    stream = await givenASplitStream();
    // Every GetRecords call kinesalite serves, with the Limit it was asked for.
    server.http.on('request', (req: IncomingMessage) => {
      if (!String(req.headers['x-amz-target']).endsWith('.GetRecords')) return;
      const call: { limit: number | undefined } = { limit: undefined };
      getRecords.push(call);
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        call.limit = (JSON.parse(body) as { Limit?: number }).Limit;
      });
    });
  }, 60_000);

  it('reads a closed shard to its end, then its children, in order', async () => {
    const run = await peek([stream.uri, '--from', 'earliest', '-n', '0']);
    expect(run.code, run.stderr).toBe(0);
    const ns = run.lines.map((l) => l.event!.data.n);
    expect(ns.slice(0, 11)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect([...ns.slice(11)].sort((a, b) => a - b)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    for (const child of new Set(run.lines.slice(11).map((l) => l.partition))) {
      const own = run.lines.filter((l) => l.partition === child).map((l) => l.event!.data.n);
      expect(own).toEqual([...own].sort((a, b) => a - b));
    }
    expect(new Set(run.lines.slice(11).map((l) => l.partition)).has(stream.parent)).toBe(false);
  });

  it('starts AT_SEQUENCE_NUMBER with --from POSITION --partition SHARD, and needs the partition', async () => {
    const run = await peek([stream.uri, '--from', stream.sequences[5]!, '--partition', stream.parent]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines.map((l) => l.event!.data.n)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(run.lines[0]!.position).toBe(stream.sequences[5]);
    const without = await peek([stream.uri, '--from', stream.sequences[5]!]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain('a position belongs to one partition');
  });

  it('starts AT_TIMESTAMP with --from TIME and asks GetRecords for no more than it prints', async () => {
    const from = new Date(stream.splitAt).toISOString();
    const all = await peek([stream.uri, '--from', from, '-n', '0']);
    expect(all.code, all.stderr).toBe(0);
    const ns = all.lines.map((l) => l.event!.data.n);
    expect(ns[0]).toBe(10);
    expect([...ns].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    getRecords.length = 0;
    const three = await peek([stream.uri, '--from', from, '-n', '3']);
    expect(three.code, three.stderr).toBe(0);
    expect(three.lines).toHaveLength(3);
    // The parent (one record from that time on, then the call that finds its end) and one call per child,
    // each asking for no more than is still to print: nothing before that time is read.
    expect(getRecords.length).toBeLessThanOrEqual(4);
    expect(getRecords.every((c) => c.limit !== undefined && c.limit <= 3)).toBe(true);
  });
});
