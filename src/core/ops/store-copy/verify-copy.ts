import type { StateStore } from '../../store/state-store.js';
import { PAGE } from './copy-kinds.js';

export interface VerifyCount {
  readonly source: number;
  readonly target: number;
  /** The target holds at least as many (it may hold more: its own, or another store copied in). */
  readonly ok: boolean;
}

export type VerifyKind =
  | 'topics'
  | 'log'
  | 'failed'
  | 'runs'
  | 'efforts'
  | 'agents'
  | 'control'
  | 'checkpoints';

export interface VerifyReport {
  readonly counts: Readonly<Record<VerifyKind, VerifyCount>>;
  /** Every count of the target reaches the source's. */
  readonly ok: boolean;
}

/**
 * Compares what the two stores hold, kind by kind (runs in both forms together), through the port. A
 * copy into an empty target leaves equal counts; a target that had its own data has more.
 */
export async function verifyCopy(from: StateStore, to: StateStore): Promise<VerifyReport> {
  const [source, target] = await Promise.all([countsOf(from), countsOf(to)]);
  const counts = Object.fromEntries(
    (Object.keys(source) as VerifyKind[]).map((kind) => [
      kind,
      { source: source[kind], target: target[kind], ok: target[kind] >= source[kind] },
    ]),
  ) as Record<VerifyKind, VerifyCount>;
  return { counts, ok: Object.values(counts).every((c) => c.ok) };
}

async function countsOf(store: StateStore): Promise<Record<VerifyKind, number>> {
  const topics = await store.log.topics();
  let log = 0;
  for (const topic of topics) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const { earliest, latest } = await store.log.bounds(topic.name, partition);
      if (latest >= 0) log += latest - earliest + 1;
    }
  }
  let efforts = 0;
  for await (const _ of store.efforts.iterate(PAGE)) efforts++;
  return {
    topics: topics.length,
    log,
    failed: await store.failed.count({ status: 'any' }),
    runs: (await store.runs.countByState()).reduce((sum, c) => sum + c.count, 0),
    efforts,
    agents: (await store.agents.list()).length,
    control: (await store.control.list()).length,
    checkpoints: (await store.checkpoints.list()).length,
  };
}
