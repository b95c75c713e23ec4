import { LogPartitioner } from '../log-partitioner.js';
import { assertPartitionCount, assertTopicName, DEFAULT_PARTITIONS } from '../log-topic.js';
import type { LogAppend, LogBounds, LogRecord, TopicInfo } from '../records.js';
import { type TopicRow, toTopic } from '../rows/topic-row.js';
import type { LogRead, LogStore } from '../state-store.js';
import { base64, jsonParam, NOW_MS, type PgConnection } from './pg-connection.js';
import { ESCAPED_VALUE, type EscapedRecordRow, escapedRecord } from './pg-escaped-value.js';

/**
 * The embedded log, shared by every agent of the store. Offsets are dense per partition (0, 1, 2, …): an
 * append bumps each partition's head row (`log_heads`) with an upsert in the same statement that inserts
 * the records, and holds that row's lock until it commits, so appends to one partition from any number of
 * processes queue, never hand out an offset twice, and commit in offset order (a reader that has seen
 * offset N never meets a later commit below N). Appends lock heads in partition order, so two appends
 * never deadlock. Reading an unknown topic or partition gives nothing rather than an error.
 */
export class PgLogStore implements LogStore {
  private readonly partitioner = new LogPartitioner();
  /** Partition counts of topics seen: a topic keeps its count for life, so this never goes stale. */
  private readonly partitions = new Map<string, number>();

  constructor(private readonly connection: PgConnection) {}

  async ensureTopic(topic: string, partitions: number): Promise<TopicInfo> {
    assertTopicName(topic);
    assertPartitionCount(topic, partitions);
    return this.createTopic(topic, partitions);
  }

  async topic(name: string): Promise<TopicInfo | undefined> {
    const [row] = await this.connection.query<TopicRow>(
      `SELECT * FROM ${this.connection.table('log_topics')} WHERE name = $1`,
      [name],
    );
    return row === undefined ? undefined : toTopic(row);
  }

  async topics(): Promise<TopicInfo[]> {
    const rows = await this.connection.query<TopicRow>(
      `SELECT * FROM ${this.connection.table('log_topics')} ORDER BY name`,
    );
    return rows.map(toTopic);
  }

  /**
   * One statement for the records (after one more the first time this instance meets the topic, to learn
   * or create it). Throws `UsageError` for an explicit partition outside the topic; nothing of the call is
   * written then. Records without a timestamp get the database clock's now.
   */
  async append(
    topic: string,
    records: readonly LogAppend[],
  ): Promise<{ partition: number; offset: number }[]> {
    assertTopicName(topic);
    const partitions =
      this.partitions.get(topic) ?? (await this.createTopic(topic, DEFAULT_PARTITIONS)).partitions;
    if (records.length === 0) return [];
    const rows = records.map((record, i) => ({
      i,
      p: this.partitioner.partitionOf(topic, partitions, record),
      k: record.key,
      ts: record.timestamp,
      v: base64(record.value),
    }));
    const placed = await this.connection.rows<[number, number]>(
      `WITH input AS (
         SELECT * FROM json_to_recordset($2::json) AS r(i int, p int, k text, ts float8, v text)),
       counts AS (SELECT p, count(*) AS n FROM input GROUP BY p),
       heads AS (
         INSERT INTO ${this.connection.table('log_heads')} AS h (topic, partition, next_offset)
         SELECT $1, p, n FROM counts ORDER BY p
         ON CONFLICT (topic, partition) DO UPDATE SET next_offset = h.next_offset + excluded.next_offset
         RETURNING partition, next_offset),
       placed AS (
         SELECT r.i, r.p, h.next_offset - c.n - 1 + row_number() OVER (PARTITION BY r.p ORDER BY r.i) AS o,
                r.k, r.ts, r.v
         FROM input r JOIN counts c ON c.p = r.p JOIN heads h ON h.partition = r.p),
       written AS (
         INSERT INTO ${this.connection.table('log')} (topic, partition, log_offset, key, timestamp, value)
         SELECT $1, p, o, k, coalesce(ts::bigint, ${NOW_MS}), decode(v, 'base64') FROM placed)
       SELECT p, o FROM placed ORDER BY i`,
      [topic, jsonParam(rows)],
      'agentctl_log_append',
    );
    return placed.map(([partition, offset]) => ({ partition, offset }));
  }

  async read(topic: string, partition: number, afterOffset: number, max: number): Promise<LogRecord[]> {
    if (max <= 0) return [];
    const rows = await this.connection.rows<EscapedRecordRow>(
      `SELECT log_offset, key, timestamp, ${ESCAPED_VALUE('value')} FROM ${this.connection.table('log')}
       WHERE topic = $1 AND partition = $2 AND log_offset > $3 ORDER BY log_offset LIMIT $4`,
      [topic, partition, afterOffset, max],
      'agentctl_log_read',
    );
    return rows.map(([offset, key, timestamp, value]) =>
      escapedRecord(topic, partition, offset, key, timestamp, value),
    );
  }

  /**
   * One statement for every partition: each read is an index range scan of its own (a lateral subquery
   * with its own limit), rows tagged with their read's place in `reads`. The statement does not sort its
   * rows (a sort of every row and its value measured a fifth of the read's server CPU): they come as the
   * nested loop gives them, each read's in offset order, and a read found out of order is sorted here.
   */
  async readMany(topic: string, reads: readonly LogRead[]): Promise<LogRecord[][]> {
    const wanted = reads.filter((r) => r.max > 0);
    const results = reads.map((): LogRecord[] => []);
    if (wanted.length === 0) return results;
    const index = reads.map((_, i) => i).filter((i) => reads[i]!.max > 0);
    const rows = await this.connection.rows<[number, ...EscapedRecordRow]>(
      `SELECT r.i, l.log_offset, l.key, l.timestamp, ${ESCAPED_VALUE('l.value')}
       FROM unnest($2::int[], $3::int[], $4::bigint[], $5::int[]) AS r(i, p, after, n)
       CROSS JOIN LATERAL (
         SELECT log_offset, key, timestamp, value FROM ${this.connection.table('log')}
         WHERE topic = $1 AND partition = r.p AND log_offset > r.after ORDER BY log_offset LIMIT r.n) AS l`,
      [
        topic,
        index,
        index.map((i) => reads[i]!.partition),
        index.map((i) => reads[i]!.afterOffset),
        index.map((i) => reads[i]!.max),
      ],
      'agentctl_log_read_many',
    );
    for (const [i, offset, key, timestamp, value] of rows) {
      results[i]!.push(escapedRecord(topic, reads[i]!.partition, offset, key, timestamp, value));
    }
    for (const records of results) if (!inOffsetOrder(records)) records.sort((a, b) => a.offset - b.offset);
    return results;
  }

  async bounds(topic: string, partition: number): Promise<LogBounds> {
    const [row] = await this.connection.query<{ earliest: number | null; latest: number | null }>(
      `SELECT min(log_offset) AS earliest, max(log_offset) AS latest FROM ${this.connection.table('log')}
       WHERE topic = $1 AND partition = $2`,
      [topic, partition],
      'agentctl_log_bounds',
    );
    return { earliest: row?.earliest ?? -1, latest: row?.latest ?? -1 };
  }

  async prune(
    topic: string,
    partition: number,
    throughOffset: number,
    before: number,
    dryRun = false,
  ): Promise<number> {
    // The last record stays, as in the SQLite store (there offsets go on from it; here `bounds` does).
    return this.connection.prune(
      'log',
      `topic = $1 AND partition = $2 AND log_offset <= $3 AND timestamp < $4
       AND log_offset < (SELECT max(log_offset) FROM ${this.connection.table('log')}
                         WHERE topic = $1 AND partition = $2)`,
      [topic, partition, throughOffset, before],
      dryRun,
    );
  }

  /** Timestamps need not grow with offsets (they can be given): this finds the lowest matching offset. */
  async offsetAtTime(topic: string, partition: number, timestampMs: number): Promise<number> {
    const [row] = await this.connection.query<{ found: number }>(
      `SELECT coalesce(
         (SELECT min(log_offset) FROM ${this.connection.table('log')}
          WHERE topic = $1 AND partition = $2 AND timestamp >= $3),
         (SELECT max(log_offset) + 1 FROM ${this.connection.table('log')} WHERE topic = $1 AND partition = $2),
         0) AS found`,
      [topic, partition, Math.ceil(timestampMs)],
    );
    return row?.found ?? 0;
  }

  /** Creates the topic unless it exists, and returns it as it is (a no-op update returns the row). */
  private async createTopic(topic: string, partitions: number): Promise<TopicInfo> {
    const [row] = await this.connection.query<TopicRow>(
      `INSERT INTO ${this.connection.table('log_topics')} AS t (name, partitions, created_at)
       VALUES ($1, $2, ${NOW_MS})
       ON CONFLICT (name) DO UPDATE SET partitions = t.partitions
       RETURNING *`,
      [topic, partitions],
    );
    const info = toTopic(row!);
    this.partitions.set(topic, info.partitions);
    return info;
  }
}

function inOffsetOrder(records: readonly LogRecord[]): boolean {
  for (let i = 1; i < records.length; i++) if (records[i]!.offset < records[i - 1]!.offset) return false;
  return true;
}
