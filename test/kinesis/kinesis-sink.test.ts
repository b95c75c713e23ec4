import type {
  KinesisClient,
  PutRecordsCommandInput,
  PutRecordsCommandOutput,
  PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRetriable } from '../../src/core/errors/agentctl-error.js';
import { contingency } from '../../src/core/publish/contingency.js';
import { openSink } from '../../src/core/publish/open-sink.js';
import type { PublishRecord } from '../../src/core/publish/publisher.js';
import { RetryingPublisher } from '../../src/core/publish/retrying-publisher.js';
import { KinesisSink } from '../../src/core/publish/sinks/kinesis-sink.js';
import { Journal } from '../../src/core/store/journal.js';
import { tempDir } from '../support/temp.js';
import { instrument } from './support/instrument.js';
import { type Kinesalite, readShards, startKinesalite } from './support/kinesalite.js';
import { openStore } from './support/kinesis-agent.js';

const text = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/**
 * Makes `PutRecords` fail some records as Kinesis does under load: the chosen entries are taken out of
 * the request before it is sent, and put back into the response as `ProvisionedThroughputExceededException`
 * at their places. `fail(id, attempt)` decides per record id and attempt (1-based).
 */
function failSome(
  client: KinesisClient,
  fail: (id: string, attempt: number) => boolean,
): { injected: number } {
  const attempts = new Map<string, number>();
  const stats = { injected: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand') return next(args);
      const input = args.input as PutRecordsCommandInput;
      const entries = input.Records ?? [];
      const failed = entries.map((e) => {
        const id = (JSON.parse(text(e.Data)) as { id: string }).id;
        const attempt = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, attempt);
        return fail(id, attempt);
      });
      const kept = entries.filter((_, i) => !failed[i]);
      const throttled: PutRecordsResultEntry = {
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'Rate exceeded for shard in stream under account 000000000000.',
      };
      stats.injected += failed.filter(Boolean).length;
      const result =
        kept.length === 0
          ? {
              output: { Records: [], FailedRecordCount: 0, $metadata: {} } as PutRecordsCommandOutput,
              response: {},
            }
          : await next({ ...args, input: { ...input, Records: kept } });
      const output = result.output as PutRecordsCommandOutput;
      const written = [...(output.Records ?? [])];
      output.Records = failed.map((f) => (f ? throttled : written.shift()!));
      output.FailedRecordCount = (output.FailedRecordCount ?? 0) + failed.filter(Boolean).length;
      return result;
    },
    { step: 'initialize', name: 'partialFailure' },
  );
  return stats;
}

/** Everything in a stream, shard by shard, as the sink wrote it. */
async function readStream(client: KinesisClient, stream: string): Promise<{ key: string; value: string }[]> {
  return [...(await readShards(client, stream)).values()].flatMap((records) =>
    records.map((r) => ({ key: r.PartitionKey!, value: text(r.Data) })),
  );
}

function record(i: number, keys: number): PublishRecord {
  const key = `key-${i % keys}`;
  return {
    id: `rec-${i}`,
    key,
    value: new TextEncoder().encode(JSON.stringify({ id: `rec-${i}`, key, seq: Math.floor(i / keys) })),
    timestamp: 1_795_000_000_000 + i,
  };
}

describe('KinesisSink (kinesalite)', () => {
  it('Given PutRecords failing some records of each batch, When 1,000 records go through the RetryingPublisher, Then each lands exactly once, in order per key, and only the failed ones were sent again', async () => {
    const stream = await server.createStream(2, 'sink');
    const client = server.client();
    const calls = instrument(client);
    // Every fourth record is throttled on its first two attempts; a few others on their first.
    const stats = failSome(client, (id, attempt) => {
      const n = Number(id.slice('rec-'.length));
      return (n % 4 === 0 && attempt <= 2) || (n % 7 === 3 && attempt === 1);
    });
    const journal = new Journal();
    const publisher = new RetryingPublisher({
      sink: new KinesisSink({ stream, client }),
      contingency: contingency({ maxRetries: 5, kind: 'exponential', baseMs: 5, maxMs: 50, jitter: 0.5 }),
      journal,
      group: 'sink-test',
    });
    const records = Array.from({ length: 1_000 }, (_, i) => record(i, 40));

    const efforts = await Promise.all(records.map((r) => publisher.publish(r)));
    await publisher.close();

    expect(efforts.filter((e) => e.culmination !== 'delivered')).toEqual([]);
    expect(efforts.filter((e) => e.retries > 0).length).toBe(stats.injected - 250);
    const written = await readStream(server.client(), stream);
    const ids = written.map((w) => (JSON.parse(w.value) as { id: string }).id);
    expect(ids.length).toBe(1_000);
    expect(new Set(ids).size).toBe(1_000);
    const seqByKey = new Map<string, number[]>();
    for (const w of written) {
      const { key, seq } = JSON.parse(w.value) as { key: string; seq: number };
      expect(w.key).toBe(key);
      seqByKey.set(key, [...(seqByKey.get(key) ?? []), seq]);
    }
    for (const seqs of seqByKey.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Only failed records were sent again: entries sent = records + injected failures.
    const sent = calls
      .filter((c) => c.command === 'PutRecordsCommand')
      .reduce((n, c) => n + (c.input.Records as unknown[]).length, 0);
    expect(sent).toBe(1_000 + stats.injected);
  });

  it('Given a batch over the PutRecords limits, When sent, Then it is cut into calls of at most 500 records and 5 MiB, and a record over 1 MiB fails alone without retry', async () => {
    const stream = await server.createStream(1, 'limits');
    const client = server.client();
    const calls = instrument(client);
    const sink = new KinesisSink({ stream, client });
    const small = Array.from({ length: 1_200 }, (_, i) => record(i, 10));
    const big = (i: number): PublishRecord => ({
      id: `big-${i}`,
      value: new Uint8Array(900 * 1024).fill(97),
      timestamp: 0,
    });

    expect((await sink.send(small)).failures.size).toBe(0);
    const mixed = [
      big(0),
      big(1),
      big(2),
      big(3),
      big(4),
      big(5),
      { ...big(6), value: new Uint8Array(2 * 1024 * 1024) },
      big(7),
    ];
    const result = await sink.send(mixed);

    const sizes = calls.map((c) =>
      (c.input.Records as { Data: Uint8Array; PartitionKey: string }[]).map(
        (r) => r.Data.byteLength + r.PartitionKey.length,
      ),
    );
    expect(sizes.map((s) => s.length)).toEqual([500, 500, 200, 5, 2]);
    for (const s of sizes) expect(s.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect([...result.failures.keys()]).toEqual([6]);
    expect(isRetriable(result.failures.get(6))).toBe(false);
    expect((calls[3]!.input.Records as { PartitionKey: string }[])[0]!.PartitionKey).toBe('big-0');
    await sink.close();
  });

  it('Given a stream that does not exist, When a batch is sent, Then send throws (the whole batch failed)', async () => {
    const sink = new KinesisSink({ stream: 'no-such-stream', client: server.client() });
    await expect(sink.send([record(1, 1)])).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('Given a kinesis:// sink URI, When opened through the sink registry, Then it is a KinesisSink named after the stream that writes there', async () => {
    const stream = await server.createStream(1, 'opened');
    const store = await openStore(tempDir());
    const sink = await openSink(server.uri(stream), { store, settings: { kinesis: { maxAttempts: 2 } } });
    expect(sink).toBeInstanceOf(KinesisSink);
    expect(sink?.name).toBe(`kinesis://${stream}`);
    await sink!.send([record(1, 1)]);
    expect(await readStream(server.client(), stream)).toHaveLength(1);
    await sink!.close();
    await store.close();
  });
});
