import { UsageError } from '../../errors/usage-error.js';
import type { LogRecord } from '../../store/records.js';
import type { StateStore } from '../../store/state-store.js';
import { PAGE, type Tally } from './copy-kinds.js';

/**
 * Copies the embedded log: topics with their partition counts, then each partition's records in offset
 * order with their keys and timestamps, so that offsets (and the checkpoints of `local:` sources) come
 * out equal. Records the target already holds must be the source's (copied before): checked at the
 * last offset both have; a partition that differs is a `UsageError`, and nothing more of it is written.
 */
export async function copyLog(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  for (const topic of await from.log.topics()) {
    const existing = await to.log.topic(topic.name);
    const target = existing ?? (await to.log.ensureTopic(topic.name, topic.partitions));
    if (target.partitions !== topic.partitions) {
      throw new UsageError(
        `topic "${topic.name}" has ${topic.partitions} partitions in ${from.location} but ${target.partitions} in ${to.location}`,
        { hint: 'copy into a store without this topic, or remove it from the target first' },
      );
    }
    tally('topics', existing === undefined ? 1 : 0, existing === undefined ? 0 : 1);
    for (let partition = 0; partition < topic.partitions; partition++) {
      await copyPartition(from, to, topic.name, partition, tally);
    }
  }
}

async function copyPartition(
  from: StateStore,
  to: StateStore,
  topic: string,
  partition: number,
  tally: Tally,
): Promise<void> {
  const source = await from.log.bounds(topic, partition);
  if (source.latest < 0) return;
  const target = await to.log.bounds(topic, partition);
  const where = `partition ${partition} of topic "${topic}"`;
  let after = -1;
  if (target.latest >= 0) {
    // The target has records here: they must be the source's, copied before (it may have more since).
    after = Math.min(target.latest, source.latest);
    const [mine] = await from.log.read(topic, partition, after - 1, 1);
    const [theirs] = await to.log.read(topic, partition, after - 1, 1);
    if (mine === undefined || theirs === undefined || !sameRecord(mine, theirs)) {
      throw new UsageError(
        `${where} in ${to.location} holds records that are not those of ${from.location}`,
        {
          hint: 'copy into a store without this topic, or remove it from the target first',
        },
      );
    }
    tally('log', 0, after - source.earliest + 1);
  } else if (source.earliest > 0) {
    throw new UsageError(`${where} in ${from.location} starts at offset ${source.earliest}, not 0`, {
      hint: 'its offsets cannot be kept in the target; copy into a store that has the earlier records',
    });
  }
  for (;;) {
    const records = await from.log.read(topic, partition, after, PAGE);
    if (records.length === 0) return;
    const placed = await to.log.append(
      topic,
      records.map((r) => ({
        value: r.value,
        partition,
        timestamp: r.timestamp,
        ...(r.key === null ? {} : { key: r.key }),
      })),
    );
    placed.forEach((place, i) => {
      if (place.offset !== records[i]!.offset) {
        throw new UsageError(
          `${where}: record ${records[i]!.offset} landed at offset ${place.offset} in ${to.location}`,
          {
            hint: 'another process appended to the target meanwhile; stop it and copy again',
          },
        );
      }
    });
    tally('log', records.length, 0);
    after = records.at(-1)!.offset;
  }
}

function sameRecord(a: LogRecord, b: LogRecord): boolean {
  return (
    a.offset === b.offset &&
    a.key === b.key &&
    a.timestamp === b.timestamp &&
    Buffer.from(a.value).equals(Buffer.from(b.value))
  );
}
