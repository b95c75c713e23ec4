import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readGetRecords,
  readGetRecordsDirectly,
} from '../../src/core/transports/kinesis/get-records-reader.js';
import { type Kinesalite, putRecords, startKinesalite } from './support/kinesalite.js';

let server: Kinesalite;
beforeAll(async () => {
  server = await startKinesalite();
});
afterAll(async () => {
  await server.close();
});

/** A client with the SDK's own deserializer for every operation (what `createKinesisClient` replaces). */
function sdkClient(): KinesisClient {
  return new KinesisClient({
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({}),
  });
}

async function firstPage(client: KinesisClient, stream: string): Promise<GetRecordsCommandOutput> {
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: 'shardId-000000000000',
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  return client.send(new GetRecordsCommand({ ShardIterator, Limit: 100 }));
}

const comparable = (out: GetRecordsCommandOutput) => ({
  Records: out.Records,
  MillisBehindLatest: out.MillisBehindLatest,
  ChildShards: out.ChildShards,
  hasNext: typeof out.NextShardIterator === 'string',
  status: out.$metadata.httpStatusCode,
  hasRequestId: typeof out.$metadata.requestId === 'string',
});

describe('GetRecords read directly (createKinesisClient)', () => {
  it('gives the same output as the SDK deserializer: bytes, keys, sequence numbers, arrival times', async () => {
    // Given records with every byte value, multi-byte UTF-8 and partition keys outside ASCII
    const stream = await server.createStream(1, 'get-records');
    const admin = server.client();
    const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
    await putRecords(admin, stream, [
      { key: 'k-1', data: '{"id":"1","type":"t","source":"s"}' },
      { key: 'clé-ü-😀', data: 'héllo wörld 😀' },
      { key: 'k-3', data: everyByte },
      { key: 'k-4', data: 'x' },
    ]);

    // When the first page is read by the agent's client and by a plain SDK client
    const sdk = sdkClient();
    const [ours, theirs] = [await firstPage(admin, stream), await firstPage(sdk, stream)];
    sdk.destroy();

    // Then both are the same (and Data is a plain Uint8Array, as the SDK gives it)
    expect(ours.Records).toHaveLength(4);
    expect(comparable(ours)).toEqual(comparable(theirs));
    expect(Buffer.isBuffer(ours.Records![2]!.Data)).toBe(false);
    expect(ours.Records![2]!.Data).toEqual(everyByte);
    expect(ours.Records![0]!.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
  });

  it('leaves error answers to the SDK: a bad iterator is still its typed exception', async () => {
    const client = server.client({ maxAttempts: 1 });
    const failure = await client.send(new GetRecordsCommand({ ShardIterator: 'AAAA'.repeat(40) })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toMatch(/Exception$/);
    expect((failure as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
  });

  it('is the deserializer createKinesisClient uses for GetRecords', () => {
    const protocol = server.client().config.protocol as object;
    expect(Object.hasOwn(protocol, 'deserializeResponse')).toBe(true);
  });
});

describe('readGetRecordsDirectly', () => {
  it('reads only JSON answers of GetRecords: another operation, an error or another content type go to the SDK', async () => {
    const seen: string[] = [];
    const protocol = {
      deserializeResponse: async (operation: { name?: string }, _context?: unknown, _response?: unknown) => {
        seen.push(operation.name ?? '');
        return 'sdk';
      },
    };
    readGetRecordsDirectly({ config: { protocol } } as unknown as KinesisClient);
    const answer = (statusCode: number, type?: string) => ({
      statusCode,
      headers: type === undefined ? {} : { 'Content-Type': type },
      body: Buffer.from('{"Records":[]}'),
    });
    const read = (name: string, statusCode: number, type?: string) =>
      protocol.deserializeResponse({ name }, {}, answer(statusCode, type) as never) as Promise<unknown>;
    expect(await read('GetRecords', 200, 'application/x-amz-json-1.1')).toMatchObject({ Records: [] });
    expect(await read('GetRecords', 200)).toMatchObject({ Records: [] });
    expect(await read('GetRecords', 200, 'application/x-amz-cbor-1.1')).toBe('sdk');
    expect(await read('GetRecords', 400, 'application/x-amz-json-1.1')).toBe('sdk');
    expect(await read('ListShards', 200, 'application/x-amz-json-1.1')).toBe('sdk');
    expect(seen).toEqual(['GetRecords', 'GetRecords', 'ListShards']);
  });
});

describe('readGetRecords', () => {
  const response = (body: string, headers: Record<string, string> = {}) => ({
    statusCode: 200,
    headers,
    body: (async function* () {
      // Split in the middle of a multi-byte character: chunks are joined as bytes, not as text.
      const bytes = Buffer.from(body, 'utf8');
      const cut = body.indexOf('é') + 1;
      yield bytes.subarray(0, cut);
      yield bytes.subarray(cut);
    })(),
  });

  it('decodes Data from base64, arrival times from epoch seconds and keeps the other members', async () => {
    const body = JSON.stringify({
      Records: [
        {
          SequenceNumber: '49590338271490256608559692538361571095921575989136588898',
          ApproximateArrivalTimestamp: 1_795_000_000.1234,
          Data: Buffer.from('{"a":"é"}').toString('base64'),
          PartitionKey: 'clé',
          EncryptionType: 'NONE',
        },
      ],
      NextShardIterator: 'next',
      MillisBehindLatest: 7,
      ChildShards: [
        {
          ShardId: 'shardId-1',
          ParentShards: ['shardId-0'],
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' },
        },
      ],
    });
    const out = await readGetRecords(response(body, { 'x-amzn-requestid': 'req-1' }));
    expect(out).toEqual({
      Records: [
        {
          SequenceNumber: '49590338271490256608559692538361571095921575989136588898',
          ApproximateArrivalTimestamp: new Date(1_795_000_000_123),
          Data: new TextEncoder().encode('{"a":"é"}'),
          PartitionKey: 'clé',
          EncryptionType: 'NONE',
        },
      ],
      NextShardIterator: 'next',
      MillisBehindLatest: 7,
      ChildShards: [
        {
          ShardId: 'shardId-1',
          ParentShards: ['shardId-0'],
          HashKeyRange: { StartingHashKey: '0', EndingHashKey: '9' },
        },
      ],
      $metadata: { httpStatusCode: 200, requestId: 'req-1', extendedRequestId: undefined, cfId: undefined },
    });
  });

  it('reads an ASCII body and one with a key outside ASCII to the same text (Latin-1 only for ASCII)', async () => {
    const page = (key: string) =>
      JSON.stringify({
        Records: [{ SequenceNumber: '1', Data: Buffer.from('é😀').toString('base64'), PartitionKey: key }],
      });
    const ascii = await readGetRecords({ statusCode: 200, headers: {}, body: Buffer.from(page('key')) });
    const other = await readGetRecords({ statusCode: 200, headers: {}, body: Buffer.from(page('ключ-é😀')) });
    expect(ascii.Records![0]!.PartitionKey).toBe('key');
    expect(other.Records![0]!.PartitionKey).toBe('ключ-é😀');
    expect(new TextDecoder().decode(other.Records![0]!.Data)).toBe('é😀');
  });

  it('reads answers in several chunks one after another and side by side, each whole (larger, then smaller)', async () => {
    // Given pages of different sizes, each sent in chunks of 1,000 bytes, the non-ASCII one included
    const page = (n: number, key: string) =>
      JSON.stringify({
        Records: Array.from({ length: n }, (_, i) => ({
          SequenceNumber: String(i),
          Data: Buffer.from(`record ${i} of ${n}`).toString('base64'),
          PartitionKey: key,
        })),
        NextShardIterator: `after-${n}`,
      });
    const chunked = (body: string) => ({
      statusCode: 200,
      headers: {},
      body: (async function* () {
        const bytes = Buffer.from(body, 'utf8');
        for (let at = 0; at < bytes.length; at += 1_000) {
          await Promise.resolve();
          yield bytes.subarray(at, at + 1_000);
        }
      })(),
    });
    const expectPage = (out: GetRecordsCommandOutput, n: number, key: string) => {
      expect(out.NextShardIterator).toBe(`after-${n}`);
      expect(out.Records).toHaveLength(n);
      expect(out.Records!.every((r) => r.PartitionKey === key)).toBe(true);
      expect(new TextDecoder().decode(out.Records![n - 1]!.Data)).toBe(`record ${n - 1} of ${n}`);
    };

    // When they are read one after another, the largest first
    expectPage(await readGetRecords(chunked(page(500, 'k'))), 500, 'k');
    expectPage(await readGetRecords(chunked(page(40, 'clé'))), 40, 'clé');
    expectPage(await readGetRecords(chunked(page(3, 'k'))), 3, 'k');

    // And side by side, their chunks arriving in turns
    const [a, b] = await Promise.all([
      readGetRecords(chunked(page(300, 'a'))),
      readGetRecords(chunked(page(200, 'b'))),
    ]);
    expectPage(a, 300, 'a');
    expectPage(b, 200, 'b');
  });

  it('gives each record its own bytes, however many share a slab: empty, unpadded, larger than a slab', async () => {
    // Given a page of records of every size: many small ones filling several 64 KB slabs, one of 100 KB,
    // an empty one and one whose base64 has no padding
    const datas = [
      ...Array.from({ length: 300 }, (_, i) => Buffer.alloc(1_000 + (i % 7), i % 256)),
      Buffer.alloc(100_000, 7),
      Buffer.alloc(0),
      Buffer.from('a'),
      ...Array.from({ length: 50 }, (_, i) => Buffer.from(`record ${i}`)),
    ];
    const body = JSON.stringify({
      Records: datas.map((data, i) => ({
        SequenceNumber: String(i),
        Data: i === 302 ? 'YQ' : data.toString('base64'),
        PartitionKey: 'k',
      })),
    });

    // When it is read
    const records = (await readGetRecords(response(body, {}))).Records!;

    // Then every record has exactly its bytes, as a plain Uint8Array that no other record's bytes overlap
    expect(records.map((r) => Buffer.from(r.Data!))).toEqual(datas);
    expect(records.every((r) => !Buffer.isBuffer(r.Data))).toBe(true);
    for (let i = 1; i < records.length; i++) {
      const [previous, data] = [records[i - 1]!.Data!, records[i]!.Data!];
      if (data.buffer === previous.buffer)
        expect(data.byteOffset).toBeGreaterThanOrEqual(previous.byteOffset + previous.byteLength);
    }
  });

  it('reads an empty body as an output with metadata only', async () => {
    const out = await readGetRecords({ statusCode: 200, headers: {}, body: new Uint8Array(0) });
    expect(out.Records).toBeUndefined();
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});
