import type { AgentConfig } from '../config/agent-config.js';
import { describeError } from '../errors/agentctl-error.js';
import { UsageError } from '../errors/usage-error.js';
import { opsTarget } from '../ops/operator-source.js';
import { openPeekReader } from '../ops/peek/open-peek-reader.js';
import { type PeekedRecord, peek } from '../ops/peek/peek.js';
import type { PeekReader } from '../ops/peek/peek-reader.js';
import type { AroundCheckpoint } from '../ops/peek/peek-request.js';
import { parseSourceUri } from '../sources/source-uri.js';
import type { StateStore } from '../store/state-store.js';
import { amqpSourceId, amqpSourceOptions } from '../transports/amqp/amqp-queue-options.js';
import type { Partition, Position } from '../types.js';

/** A partition as the console names it: its group, its source's id (as checkpoints are keyed), its id. */
export interface PartitionRef {
  readonly group: string;
  readonly sourceId: string;
  readonly partition: Partition;
}

/** What a peek around a partition's checkpoint found. */
export interface PartitionPeek {
  readonly ref: PartitionRef;
  /** The source URI the records were read from, credentials redacted. */
  readonly source: string;
  /** The group's checkpoint of the partition; undefined when it has none (read from the earliest). */
  readonly checkpoint: Position | undefined;
  readonly around: AroundCheckpoint;
  /** In position order; `done` and `next` marked as `peek --around-checkpoint` marks them. */
  readonly records: readonly PeekedRecord[];
}

/** Reads the records around a partition's checkpoint, for the console's `p`. */
export interface PartitionPeeker {
  /**
   * Never commits, leases, acks or writes a checkpoint (the peek readers are read-only by contract).
   * @throws UsageError for a classic or quorum queue (it cannot be read without taking its messages, and
   *   the console never takes them), or for a source the console cannot open.
   */
  around(ref: PartitionRef, signal?: AbortSignal): Promise<PartitionPeek>;
}

/** Records at and before the checkpoint, and after it: `peek --around-checkpoint`'s defaults. */
export const PEEK_AROUND: AroundCheckpoint = { before: 3, after: 5 };

/**
 * A peeker for the sources of `config`: a partition's source is the config's (for the partition's
 * group), else the source id itself when it is a URI (local and file sources). Records are decoded with
 * the config's `decode` hook.
 */
export function configPeeker(
  store: StateStore,
  config: AgentConfig,
  around: AroundCheckpoint = PEEK_AROUND,
): PartitionPeeker {
  return {
    async around(ref, signal) {
      const reader = await readerOf(store, config, ref);
      try {
        const rows = await store.checkpoints.get(ref.group, ref.sourceId, [ref.partition]);
        const checkpoint = rows.get(ref.partition)?.position;
        const records: PeekedRecord[] = [];
        const peeked = peek({
          reader,
          request: { start: { kind: 'checkpoint' }, partitions: [ref.partition], around },
          ...(config.decode === undefined ? {} : { decode: config.decode }),
          checkpoints: async () => new Map(checkpoint === undefined ? [] : [[ref.partition, checkpoint]]),
          ...(signal === undefined ? {} : { signal }),
        });
        for await (const record of peeked) records.push(record);
        return { ref, source: reader.display, checkpoint, around, records };
      } finally {
        await reader.close();
      }
    },
  };
}

/** The peek reader of the partition's source. @throws UsageError (see `PartitionPeeker.around`). */
async function readerOf(store: StateStore, config: AgentConfig, ref: PartitionRef): Promise<PeekReader> {
  const settings = config.adapters;
  const uris = [...new Set([opsTarget(config, { group: ref.group }).uri, ref.sourceId])];
  let failure: unknown;
  for (const uri of uris) {
    const queue = brokerQueue(uri, settings);
    if (queue !== undefined && queue.id !== ref.sourceId) continue;
    if (queue !== undefined && queue.type !== 'stream') {
      throw new UsageError(
        `${ref.sourceId} is a ${queue.type} queue: it cannot be read without taking its messages, and the console never takes them`,
        {
          hint: `in a shell, agentctl peek --requeue -n N takes up to N messages and gives them all back (they return marked redelivered${queue.type === 'quorum' ? ', and count towards the delivery limit' : ''})`,
        },
      );
    }
    try {
      const reader = await openPeekReader(uri, { store, ...(settings === undefined ? {} : { settings }) });
      if (reader.sourceId === ref.sourceId) return reader;
      await reader.close();
    } catch (error) {
      failure ??= error;
    }
  }
  const why = failure === undefined ? '' : `: ${describeError(failure)}`;
  throw new UsageError(`the console cannot open source ${ref.sourceId} of group ${ref.group} to peek${why}`, {
    hint: `agentctl peek SOURCE_URI --around-checkpoint --partition ${ref.partition} --agent ${ref.group}`,
  });
}

/** An AMQP queue's id and type, when `uri` names one. */
function brokerQueue(uri: string, settings: Readonly<Record<string, unknown>> | undefined) {
  try {
    if (parseSourceUri(uri).kind !== 'amqp') return undefined;
    const options = amqpSourceOptions(uri, settings);
    return { id: amqpSourceId(options.server, options.queue), type: options.type };
  } catch {
    return undefined;
  }
}
