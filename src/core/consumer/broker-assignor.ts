import type { Source } from '../sources/source.js';
import type { Fence } from '../store/records.js';
import type { Partition } from '../types.js';
import type { AssignmentChanges, Assignor } from './assignor.js';

const NONE: AssignmentChanges = { assigned: [], revoked: [] };

/**
 * Assigns every partition of the source to this processor: the broker (RabbitMQ) decides which agent
 * gets which message, so there is nothing to split. No fences.
 */
export class BrokerAssignor implements Assignor {
  private partitions: Partition[] = [];
  private pending: AssignmentChanges = NONE;
  private readonly ownerId: string;

  constructor(
    private readonly source: Source,
    owner: string,
  ) {
    this.ownerId = owner;
  }

  async start(signal: AbortSignal): Promise<void> {
    this.partitions = (await this.source.partitions(signal)).map((p) => p.id);
    this.pending = { assigned: this.partitions, revoked: [] };
  }

  takeChanges(): AssignmentChanges {
    const changes = this.pending;
    this.pending = NONE;
    return changes;
  }

  async refresh(): Promise<void> {}

  fence(): Fence | undefined {
    return undefined;
  }

  ended(partition: Partition): void {
    this.partitions = this.partitions.filter((p) => p !== partition);
  }

  async released(): Promise<void> {}

  settled(): boolean {
    return true;
  }

  held(): readonly Partition[] {
    return this.partitions;
  }

  async owners(): Promise<Map<Partition, string>> {
    return new Map(this.partitions.map((p) => [p, this.ownerId]));
  }

  async stop(): Promise<void> {}
}
