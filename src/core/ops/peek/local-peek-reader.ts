import type { LogStore } from '../../store/state-store.js';
import type { AttributeValue, Partition, Position, StartPosition } from '../../types.js';
import type { PeekBatch, PeekCursor, PeekPartition, PeekReader } from './peek-reader.js';

const NO_ATTRIBUTES: Readonly<Record<string, AttributeValue>> = Object.freeze({});

/**
 * Peeks at the embedded local log (`local:TOPIC`) through `LogStore` alone — reads by offset, a start
 * by time through the log's timestamp index — without the consumer's machinery: no lease, no cursor in
 * the store. A topic that does not exist has no partitions (nothing is created).
 */
export class LocalPeekReader implements PeekReader {
  readonly sourceId: string;
  readonly display: string;
  readonly positionsPerPartition = false;

  constructor(
    private readonly log: LogStore,
    private readonly topic: string,
  ) {
    this.sourceId = `local:${topic}`;
    this.display = this.sourceId;
  }

  async partitions(): Promise<PeekPartition[]> {
    const topic = await this.log.topic(this.topic);
    return Array.from({ length: topic?.partitions ?? 0 }, (_, i) => ({ id: String(i) }));
  }

  async open(partition: Partition, start: StartPosition): Promise<PeekCursor> {
    const log = this.log;
    const topic = this.topic;
    const number = Number(partition);
    let after = await this.cursorFor(number, start);
    return {
      async read(max: number): Promise<PeekBatch> {
        const records = await log.read(topic, number, after, max);
        const last = records.at(-1);
        if (last !== undefined) after = last.offset;
        return {
          ended: false,
          records: records.map((r) => ({
            partition,
            position: String(r.offset),
            timestamp: r.timestamp,
            key: r.key ?? undefined,
            attributes: r.key === null ? NO_ATTRIBUTES : { key: r.key },
            bytes: r.value,
          })),
        };
      },
    };
  }

  compare(a: Position, b: Position): number {
    return Number(a) - Number(b);
  }

  async back(_partition: Partition, position: Position, count: number): Promise<StartPosition> {
    return { kind: 'after', position: String(Math.max(-1, Number(position) - count)) };
  }

  async close(): Promise<void> {}

  /** The offset to read after. @throws UsageError-free: a position that is not an offset reads nothing. */
  private async cursorFor(partition: number, start: StartPosition): Promise<number> {
    switch (start.kind) {
      case 'earliest':
        return Math.max(-1, (await this.log.bounds(this.topic, partition)).earliest - 1);
      case 'latest':
        return (await this.log.bounds(this.topic, partition)).latest;
      case 'after':
        return Number(start.position);
      case 'at':
        return Number(start.position) - 1;
      case 'timestamp':
        return (await this.log.offsetAtTime(this.topic, partition, start.ms)) - 1;
    }
  }
}
