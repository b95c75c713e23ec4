import { createRequire } from 'node:module';

/** What `aws-kinesis-agg` (the awslabs aggregation library) takes and gives; its own typings omit it. */
interface UserRecordInput {
  partitionKey: string;
  explicitHashKey?: string;
  data: Buffer;
}

interface RecordAggregator {
  addUserRecord(record: UserRecordInput): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
}

const { RecordAggregator } = createRequire(import.meta.url)('aws-kinesis-agg') as {
  RecordAggregator: new () => RecordAggregator;
};

/** One KPL aggregated record (magic + protobuf + MD5) holding `records`, built by `aws-kinesis-agg`. */
export function aggregate(
  records: readonly { key: string; data: string | Uint8Array; explicitHashKey?: string }[],
): { partitionKey: string; data: Buffer } {
  const aggregator = new RecordAggregator();
  for (const r of records) {
    aggregator.addUserRecord({
      partitionKey: r.key,
      data: Buffer.from(r.data),
      ...(r.explicitHashKey === undefined ? {} : { explicitHashKey: r.explicitHashKey }),
    });
  }
  const built = aggregator.build();
  if (built === undefined) throw new Error('nothing aggregated');
  return built;
}
