import { LogPartitioner } from '../log-partitioner.js';
import { assertPartitionCount, assertTopicName, DEFAULT_PARTITIONS } from '../log-topic.js';
import type { LogAppend, LogBounds, LogRecord, TopicInfo } from '../records.js';
import { type LogRecordRow, toLogRecords } from '../rows/log-record-row.js';
import { type TopicRow, toTopic } from '../rows/topic-row.js';
import type { LogStore } from '../state-store.js';
import type { SqliteConnection, Statement } from './sqlite-connection.js';

/**
 * The embedded log. Offsets are dense per partition (0, 1, 2, …): each append reads the partition's last
 * offset inside its `BEGIN IMMEDIATE` transaction, so appends from several processes queue on the write
 * lock and never hand out an offset twice. Reading an unknown topic or partition gives nothing rather
 * than an error: a reader may start before the first append.
 */
export class SqliteLogStore implements LogStore {
  private readonly partitioner = new LogPartitioner();
  private readonly selectTopic: Statement;
  private readonly insertTopic: Statement;
  private readonly lastOffset: Statement;
  private readonly insertRecord: Statement;
  private readonly readRecords: Statement;

  constructor(private readonly connection: SqliteConnection) {
    this.selectTopic = connection.statement('SELECT * FROM log_topics WHERE name = ?');
    this.insertTopic = connection.statement(
      'INSERT INTO log_topics (name, partitions, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    );
    this.lastOffset = connection
      .statement('SELECT max(offset) FROM log WHERE topic = ? AND partition = ?')
      .pluck();
    this.insertRecord = connection.statement(
      'INSERT INTO log (topic, partition, offset, key, timestamp, value) VALUES (?, ?, ?, ?, ?, ?)',
    );
    // Raw rows skip building a keyed object per row in the driver; `read` builds the record itself.
    this.readRecords = connection
      .statement(
        `SELECT offset, key, timestamp, value FROM log
         WHERE topic = ? AND partition = ? AND offset > ? ORDER BY offset LIMIT ?`,
      )
      .raw();
  }

  ensureTopic(topic: string, partitions: number): Promise<TopicInfo> {
    return this.connection.call(() => {
      assertTopicName(topic);
      assertPartitionCount(topic, partitions);
      this.insertTopic.run(topic, partitions, this.connection.clock.now());
      return toTopic(this.selectTopic.get(topic) as TopicRow);
    });
  }

  topic(name: string): Promise<TopicInfo | undefined> {
    return this.connection.call(() => {
      const row = this.selectTopic.get(name) as TopicRow | undefined;
      return row === undefined ? undefined : toTopic(row);
    });
  }

  topics(): Promise<TopicInfo[]> {
    return this.connection.call(() =>
      (this.connection.statement('SELECT * FROM log_topics ORDER BY name').all() as TopicRow[]).map(toTopic),
    );
  }

  /**
   * Throws `UsageError` for an explicit partition outside the topic; nothing of the call is written then.
   * Records without a timestamp get the store clock's now.
   */
  append(topic: string, records: readonly LogAppend[]): Promise<{ partition: number; offset: number }[]> {
    return this.connection.call(() => {
      assertTopicName(topic);
      return this.connection.immediate(() => {
        const now = this.connection.clock.now();
        this.insertTopic.run(topic, DEFAULT_PARTITIONS, now);
        const { partitions } = this.selectTopic.get(topic) as TopicRow;
        const next = new Map<number, number>();
        const placed: { partition: number; offset: number }[] = [];
        for (const record of records) {
          const partition = this.partitioner.partitionOf(topic, partitions, record);
          const offset =
            next.get(partition) ?? ((this.lastOffset.get(topic, partition) as number | null) ?? -1) + 1;
          this.insertRecord.run(
            topic,
            partition,
            offset,
            record.key ?? null,
            record.timestamp ?? now,
            record.value,
          );
          next.set(partition, offset + 1);
          placed.push({ partition, offset });
        }
        return placed;
      });
    });
  }

  read(topic: string, partition: number, afterOffset: number, max: number): Promise<LogRecord[]> {
    return this.connection.call(() => {
      if (max <= 0) return [];
      return toLogRecords(
        topic,
        partition,
        this.readRecords.all(topic, partition, afterOffset, max) as LogRecordRow[],
      );
    });
  }

  bounds(topic: string, partition: number): Promise<LogBounds> {
    return this.connection.call(() => {
      // Two subqueries: SQLite answers a lone min() or max() from the primary key without a scan.
      const row = this.connection
        .statement(
          `SELECT (SELECT min(offset) FROM log WHERE topic = @topic AND partition = @partition) AS earliest,
                  (SELECT max(offset) FROM log WHERE topic = @topic AND partition = @partition) AS latest`,
        )
        .get({ topic, partition }) as { earliest: number | null; latest: number | null };
      return { earliest: row.earliest ?? -1, latest: row.latest ?? -1 };
    });
  }

  async prune(
    topic: string,
    partition: number,
    throughOffset: number,
    before: number,
    dryRun = false,
  ): Promise<number> {
    const latest = await this.connection.call(() => this.lastOffset.get(topic, partition) as number | null);
    // The last record stays: the next append numbers itself from it.
    const through = latest === null ? -1 : Math.min(throughOffset, latest - 1);
    if (through < 0) return 0;
    const where = 'topic = @topic AND partition = @partition AND offset <= @through AND timestamp < @before';
    return this.connection.prune(
      'log',
      where,
      { topic, partition, through, before },
      dryRun,
      '(topic, partition, offset)',
    );
  }

  /** Timestamps need not grow with offsets (they can be given): this finds the lowest matching offset. */
  offsetAtTime(topic: string, partition: number, timestampMs: number): Promise<number> {
    return this.connection.call(() => {
      const found = this.connection
        .statement('SELECT min(offset) FROM log WHERE topic = ? AND partition = ? AND timestamp >= ?')
        .pluck()
        .get(topic, partition, timestampMs) as number | null;
      if (found !== null) return found;
      const latest = this.lastOffset.get(topic, partition) as number | null;
      return (latest ?? -1) + 1;
    });
  }
}
