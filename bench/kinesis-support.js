// Helpers of the Kinesis benchmark scenarios: kinesalite in this process, the enhanced fan-out test
// server (test/support/kinesis-efo-server.ts, transpiled on the fly: the bench runs plain Node on dist/),
// streams, and timestamped puts.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import kinesalite from 'kinesalite';
import ts from 'typescript';
import { createKinesisClient } from '../dist/core/transports/kinesis/kinesis-client.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts kinesalite in memory on a free port; returns its endpoint and a `close`. */
export async function startKinesaliteServer() {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * Starts the enhanced fan-out test server in front of kinesalite. Its TypeScript sources are transpiled
 * into dist/bench-support/ (inside the project, so that their imports resolve from node_modules).
 */
export async function startEfoServer(options) {
  const out = join(root, 'dist', 'bench-support');
  mkdirSync(out, { recursive: true });
  for (const name of ['kinesis-efo-frames', 'kinesis-efo-subscription', 'kinesis-efo-server']) {
    const source = readFileSync(join(root, 'test', 'support', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(out, `${name}.js`), outputText);
  }
  const module = await import(pathToFileURL(join(out, 'kinesis-efo-server.js')).href);
  return module.startEfoServer(options);
}

export function kinesisClient(endpoint) {
  return createKinesisClient({ endpoint, region: 'us-east-1' });
}

/** Creates a stream of `shards` shards and waits until it is ACTIVE; returns its shards. */
export async function createStream(client, name, shards) {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  for (;;) {
    const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return (await client.send(new ListShardsCommand({ StreamName: name }))).Shards;
}

/**
 * Puts `events` (objects, JSON-encoded) spread evenly over `shards` (an explicit hash key at each shard's
 * range start), in calls of up to 500; `stamp(event)` runs just before each call (e.g. to set `putAt`).
 */
export async function putEvents(client, stream, shards, events, stamp = (e) => e) {
  const encoder = new TextEncoder();
  for (let i = 0; i < events.length; i += 500) {
    const chunk = events.slice(i, i + 500);
    const records = chunk.map((event, j) => ({
      PartitionKey: String(event.subject ?? i + j),
      ExplicitHashKey: shards[(i + j) % shards.length].HashKeyRange.StartingHashKey,
      Data: encoder.encode(JSON.stringify(stamp(event))),
    }));
    const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: records }));
    if (out.FailedRecordCount > 0) throw new Error(`kinesalite refused ${out.FailedRecordCount} records`);
  }
}

/** The `q` quantile (0..1) of `values` (nearest rank). */
export function quantile(values, q) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export function median(values) {
  return quantile(values, 0.5);
}
