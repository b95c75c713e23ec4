import type { Bytes } from '../../types.js';
import { LogPartitioner } from '../log-partitioner.js';
import { assertPartitionCount, assertTopicName, DEFAULT_PARTITIONS } from '../log-topic.js';
import type { LogAppend, LogBounds, LogRecord, TopicInfo } from '../records.js';
import { type TextRecordRow, toTextRecords } from '../rows/log-record-row.js';
import { type TopicRow, toTopic } from '../rows/topic-row.js';
import type { LogStore } from '../state-store.js';
import type { SqliteConnection, Statement } from './sqlite-connection.js';
import type { SqliteWriter } from './sqlite-writer.js';
import { type WriteBatch, WriteBatchBuilder } from './write-batch.js';

/**
 * A record appended on the writer thread, numbered in SQL from its partition's last offset (one seek on
 * the primary key): the thread needs no read of its own. The first record of each partition in an append
 * says which offset it took; the partition's next records of that append follow it, one by one.
 */
const APPEND_INTO = `
  INSERT INTO log (topic, partition, offset, key, timestamp, value)
  VALUES (?, ?, coalesce((SELECT max(offset) FROM log WHERE topic = ? AND partition = ?), -1) + 1, ?, ?, ?)`;
const APPEND_FIRST = `${APPEND_INTO} RETURNING offset`;

interface StagedAppend {
  readonly batch: WriteBatch;
  readonly placed: readonly { readonly partition: number; readonly first: number; readonly nth: number }[];
}

/**
 * The embedded log. Offsets are dense per partition (0, 1, 2, …): each append reads the partition's last
 * offset inside its `BEGIN IMMEDIATE` transaction, so appends from several processes queue on the write
 * lock and never hand out an offset twice. Reading an unknown topic or partition gives nothing rather
 * than an error: a reader may start before the first append. With a writer thread (file stores), large
 * appends to an existing topic — and any while the thread writes for us — are applied there, queued
 * behind the store's flushes: the event loop does not write them, and an append never sleeps in SQLite's
 * busy handler while a flush of this process holds the lock (`SqliteWriter.inPlace`).
 */
export class SqliteLogStore implements LogStore {
  private readonly partitioner = new LogPartitioner();
  private readonly selectTopic: Statement;
  private readonly insertTopic: Statement;
  private readonly lastOffset: Statement;
  private readonly insertRecord: Statement;
  private readonly readRecords: Statement;
  private readonly readValue: Statement;

  /** `writer`: the store's writer thread, which applies appends to existing topics (see `append`). */
  constructor(
    private readonly connection: SqliteConnection,
    private readonly writer?: SqliteWriter,
  ) {
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
    // Raw rows skip building a keyed object per row in the driver; `read` builds the record itself. The
    // value comes as text (see `toTextRecords`): a string costs the driver and the decoder less than a
    // buffer of its own per row.
    this.readRecords = connection
      .statement(
        `SELECT offset, key, timestamp, CAST(value AS TEXT) FROM log
         WHERE topic = ? AND partition = ? AND offset > ? ORDER BY offset LIMIT ?`,
      )
      .raw();
    this.readValue = connection
      .statement('SELECT value FROM log WHERE topic = ? AND partition = ? AND offset = ?')
      .pluck();
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
  async append(
    topic: string,
    records: readonly LogAppend[],
  ): Promise<{ partition: number; offset: number }[]> {
    // A small append with nothing of ours on the thread is cheaper here (`agentctl publish` of one event
    // would otherwise start the thread for it).
    const here = this.writer === undefined || this.writer.inPlace(records.length);
    const staged = here ? undefined : await this.stage(topic, records);
    if (staged === undefined) return this.appendHere(topic, records);
    let firsts: number[];
    try {
      [firsts = []] = await this.writer!.write(staged.batch);
    } catch (error) {
      throw this.connection.translate(error);
    }
    return staged.placed.map(({ partition, first, nth }) => ({ partition, offset: firsts[first]! + nth }));
  }

  /**
   * The writer-thread batch of an append to an existing topic, and where each record lands: the offset
   * taken by its partition's first record in the batch (the `first`-th `APPEND_FIRST` row), plus `nth`.
   * `undefined` when the topic does not exist yet or there is nothing to append.
   */
  private stage(topic: string, records: readonly LogAppend[]): Promise<StagedAppend | undefined> {
    return this.connection.call(() => {
      assertTopicName(topic);
      // A topic's partition count never changes once it exists; a new one is created under the lock.
      const row = this.selectTopic.get(topic) as TopicRow | undefined;
      if (row === undefined || records.length === 0) return undefined;
      const now = this.connection.clock.now();
      const batch = new WriteBatchBuilder();
      const partitions = new Map<number, { first: number; count: number }>();
      const placed = records.map((record) => {
        const partition = this.partitioner.partitionOf(topic, row.partitions, record);
        const params = [
          topic,
          partition,
          topic,
          partition,
          record.key ?? null,
          record.timestamp ?? now,
          record.value,
        ];
        const known = partitions.get(partition);
        if (known !== undefined) {
          batch.add(APPEND_INTO, params);
          return { partition, first: known.first, nth: known.count++ };
        }
        const first = batch.add(APPEND_FIRST, params)[1];
        partitions.set(partition, { first, count: 1 });
        return { partition, first, nth: 0 };
      });
      return { batch: batch.build(), placed };
    });
  }

  /** Appends on this connection, in one `BEGIN IMMEDIATE` transaction (creating the topic if needed). */
  private appendHere(
    topic: string,
    records: readonly LogAppend[],
  ): Promise<{ partition: number; offset: number }[]> {
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
      return toTextRecords(
        topic,
        partition,
        this.readRecords.all(topic, partition, afterOffset, max) as TextRecordRow[],
        (offset) => this.readValue.get(topic, partition, offset) as Bytes,
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
