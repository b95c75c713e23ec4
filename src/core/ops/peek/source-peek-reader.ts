import type { Source } from '../../sources/source.js';
import type { Partition, Position, StartPosition } from '../../types.js';
import type { PeekBatch, PeekCursor, PeekPartition, PeekReader } from './peek-reader.js';

/**
 * Peeks through a `Source` that keeps no state of its own outside the store (an NDJSON file, a source
 * kind registered by the user): it is assigned and polled, never committed or settled, and no lease is
 * taken (leases are the consumer's, not the source's). One partition is read at a time: opening another
 * revokes the one before.
 */
export class SourcePeekReader implements PeekReader {
  readonly sourceId: string;
  readonly display: string;
  readonly positionsPerPartition = false;
  private connected = false;
  private current: Partition | undefined;

  /** `numbered`: positions are consecutive integers from `first` (file lines from 1, stream offsets from 0). */
  constructor(
    private readonly source: Source,
    numbered?: { readonly first: number },
  ) {
    this.sourceId = source.id;
    this.display = source.uri;
    if (numbered !== undefined) {
      this.back = async (_partition, position, count) => ({
        kind: 'after',
        position: String(Math.max(numbered.first - 1, Number(position) - count)),
      });
    }
  }

  async partitions(signal?: AbortSignal): Promise<PeekPartition[]> {
    if (!this.connected) await this.source.connect(signal);
    this.connected = true;
    return this.source.partitions(signal);
  }

  async open(partition: Partition, start: StartPosition): Promise<PeekCursor> {
    if (this.current !== undefined) await this.source.revoke([this.current]);
    this.current = partition;
    await this.source.assign(new Map([[partition, start]]));
    const source = this.source;
    return {
      async read(max: number, signal?: AbortSignal): Promise<PeekBatch> {
        // A source still starting (a stream consumer before its first delivery) answers empty without
        // being at its head: ask again until it has records or says it is caught up.
        let fetch = await source.poll(max, signal);
        for (let n = 0; n < 200 && fetch.messages.length === 0 && !fetch.caughtUp && !signal?.aborted; n++)
          fetch = await source.poll(max, signal);
        return {
          ended: fetch.ended.includes(partition),
          records: fetch.messages
            .filter((m) => m.partition === partition)
            .map((m) => ({
              partition,
              position: m.position,
              timestamp: m.timestamp,
              key: typeof m.attributes.key === 'string' ? m.attributes.key : undefined,
              attributes: m.attributes,
              bytes: m.raw,
            })),
        };
      },
    };
  }

  compare(a: Position, b: Position): number {
    return this.source.compare(a, b);
  }

  /** Set where positions are consecutive numbers (file lines, stream offsets): `count` back is `- count`. */
  readonly back?: (partition: Partition, position: Position, count: number) => Promise<StartPosition>;

  close(): Promise<void> {
    return this.source.close();
  }
}
