import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordsCommand,
  type Shard,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import { createKinesisClient } from '../../../src/core/transports/kinesis/kinesis-client.js';

/** A kinesalite server started in this process on a free port, reached through the real SDK. */
export interface Kinesalite {
  readonly endpoint: string;
  /** The HTTP server itself (to watch the requests it serves). */
  readonly http: Server;
  /** A fresh SDK client for the server (`destroy` it, or let `close` do it). */
  client(options?: { maxAttempts?: number }): KinesisClient;
  /** Creates a stream with a unique name (prefix + random) and waits until it is ACTIVE. */
  createStream(shards: number, prefix?: string): Promise<string>;
  /** The source URI of a stream on this server. */
  uri(stream: string): string;
  close(): Promise<void>;
}

export async function startKinesalite(): Promise<Kinesalite> {
  const server: Server = kinesalite({
    createStreamMs: 0,
    deleteStreamMs: 0,
    updateStreamMs: 0,
    shardLimit: 100,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: KinesisClient[] = [];
  const client = (options: { maxAttempts?: number } = {}) => {
    const c = createKinesisClient({ endpoint, region: 'us-east-1', ...options });
    clients.push(c);
    return c;
  };
  const admin = client();
  return {
    endpoint,
    http: server,
    client,
    async createStream(shards, prefix = 'stream') {
      const name = `${prefix}-${randomUUID().slice(0, 8)}`;
      await admin.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      await waitActive(admin, name);
      return name;
    },
    uri: (stream) => `kinesis://${stream}?region=us-east-1&endpoint=${encodeURIComponent(endpoint)}`,
    async close() {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function waitActive(client: KinesisClient, stream: string): Promise<void> {
  for (;;) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await delay(10);
  }
}

export interface PutEntry {
  readonly key: string;
  readonly data: string | Uint8Array;
}

/** Where a record was written. */
export interface Placed {
  readonly shard: string;
  readonly sequence: string;
}

/** Puts records in calls of up to 500; returns their sequence numbers, in order. */
export async function putRecords(
  client: KinesisClient,
  stream: string,
  entries: readonly PutEntry[],
): Promise<string[]> {
  return (await placeRecords(client, stream, entries)).map((p) => p.sequence);
}

/** Puts records in calls of up to 500; returns where each landed, in order. */
export async function placeRecords(
  client: KinesisClient,
  stream: string,
  entries: readonly PutEntry[],
): Promise<Placed[]> {
  const placed: Placed[] = [];
  for (let i = 0; i < entries.length; i += 500) {
    const chunk = entries.slice(i, i + 500);
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: stream,
        Records: chunk.map((e) => ({
          PartitionKey: e.key,
          Data: typeof e.data === 'string' ? new TextEncoder().encode(e.data) : e.data,
        })),
      }),
    );
    if ((out.FailedRecordCount ?? 0) > 0)
      throw new Error(`kinesalite refused ${out.FailedRecordCount} records`);
    for (const r of out.Records ?? []) placed.push({ shard: r.ShardId!, sequence: r.SequenceNumber! });
  }
  return placed;
}

export async function listShards(client: KinesisClient, stream: string): Promise<Shard[]> {
  return (await client.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
}

/** Splits an open shard in the middle of its hash range and waits for the stream to be ACTIVE again. */
export async function splitShard(client: KinesisClient, stream: string, shardId: string): Promise<void> {
  const shard = (await listShards(client, stream)).find((s) => s.ShardId === shardId)!;
  const from = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const to = BigInt(shard.HashKeyRange!.EndingHashKey!);
  await client.send(
    new SplitShardCommand({
      StreamName: stream,
      ShardToSplit: shardId,
      NewStartingHashKey: ((from + to) / 2n).toString(),
    }),
  );
  await waitActive(client, stream);
}

/** Merges two adjacent open shards and waits for the stream to be ACTIVE again. */
export async function mergeShards(
  client: KinesisClient,
  stream: string,
  shard: string,
  adjacent: string,
): Promise<void> {
  await client.send(
    new MergeShardsCommand({ StreamName: stream, ShardToMerge: shard, AdjacentShardToMerge: adjacent }),
  );
  await waitActive(client, stream);
}

/** The last sequence number written to each shard. */
export function tips(placed: readonly Placed[]): Map<string, string> {
  const last = new Map<string, string>();
  for (const p of placed) last.set(p.shard, p.sequence);
  return last;
}

/** Every record of a stream, shard by shard (in `listShards` order), read from TRIM_HORIZON. */
export async function readShards(
  client: KinesisClient,
  stream: string,
): Promise<Map<string, KinesisRecord[]>> {
  const out = new Map<string, KinesisRecord[]>();
  for (const shard of await listShards(client, stream)) {
    const records: KinesisRecord[] = [];
    let iterator = (
      await client.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shard.ShardId!,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    for (;;) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator! }));
      records.push(...(page.Records ?? []));
      iterator = page.NextShardIterator;
      if ((page.Records ?? []).length === 0) break;
    }
    out.set(shard.ShardId!, records);
  }
  return out;
}
