import type { StateStore } from '../../store/state-store.js';
import { ALL_DELIVERED, type PublishRecord, type SendResult, type Sink } from '../publisher.js';

/**
 * Publishes records to a topic of the embedded local log (`local:results` by default), one transaction
 * per batch. Records keep their key, so one key's records stay in one partition, in order. Another agent
 * can consume the topic as its source.
 */
export class LocalLogSink implements Sink {
  readonly name: string;
  readonly maxBatch = 1000;

  constructor(
    private readonly store: StateStore,
    private readonly topic = 'results',
  ) {
    this.name = `local:${topic}`;
  }

  async send(records: readonly PublishRecord[]): Promise<SendResult> {
    await this.store.log.append(
      this.topic,
      records.map((r) => ({
        value: r.value,
        timestamp: r.timestamp,
        ...(r.key === undefined ? {} : { key: r.key }),
      })),
    );
    return ALL_DELIVERED;
  }

  async close(): Promise<void> {}
}
