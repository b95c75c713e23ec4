import { UsageError } from '../errors/usage-error.js';
import type { Effort } from '../model/effort.js';
import type { RunRecord } from '../model/run-record.js';
import type { ProcessingStateName } from '../state/processing-state.js';
import type {
  CheckpointWrite,
  FailedMessage,
  FailureAttempt,
  LogRecord,
  NewFailedMessage,
} from '../store/records.js';
import type { RunForm, StateStore } from '../store/state-store.js';

/** What a copy moves, in the order it moves it. */
export const COPY_KINDS = [
  'topics',
  'log',
  'failed',
  'runs',
  'ledger',
  'efforts',
  'agents',
  'control',
  'checkpoints',
] as const;
export type CopyKind = (typeof COPY_KINDS)[number];

export interface CopyCount {
  /** Written to the target by this copy. */
  readonly copied: number;
  /** Already in the target (an earlier copy, or the target's own), left as they were. */
  readonly skipped: number;
}

export interface CopyReport {
  readonly counts: Readonly<Record<CopyKind, CopyCount>>;
  /** Items present in both stores with different content, left as the target has them. */
  readonly conflicts: readonly string[];
}

export interface CopyProgress extends CopyCount {
  readonly kind: CopyKind;
}

const PAGE = 500;
/** Agent states that read nothing: copied agents are recorded in one of them (see `copyStore`). */
const STOPPED: ReadonlySet<ProcessingStateName> = new Set(['SHUTDOWN', 'ERROR']);
const EMPTY_BATCH = { runs: [], ledger: [], efforts: [], parked: [] } as const;

/**
 * Copies one state store into another through the `StateStore` port only (any adapter to any adapter:
 * typically an embedded SQLite store into the shared PostgreSQL one). Safe to run again: what the target
 * already holds is recognised (topics and log offsets, failed-message keys, run and effort ids, agent ids,
 * control requests by agent, kind and arguments, checkpoint keys) and skipped, so a second run, or a run
 * after an interrupted one, copies only what is missing and never duplicates. Stop the agents writing to
 * the source first: what they write during the copy may be missed.
 *
 * - Log: topics with their partition counts, then each partition's records in offset order, with their
 *   keys and timestamps; offsets come out equal (the target appends from where its partition ends and
 *   the copy checks each offset), so checkpoints of `local:` sources stay valid. A target partition whose
 *   records differ from the source's is a `UsageError` (nothing more of it is written).
 * - Failed messages: every status, with their history, attempts and first/last failure times; a
 *   copy gets a new id, and a `replayed` item's `replayedAt` is the time of the copy.
 * - Runs: full rows and ledger entries each in their own form (`runs.iterate`); efforts whole.
 * - Agents: as records of what ran. The port stamps a heartbeat with the target's clock, so an agent
 *   that was not stopped is recorded `SHUTDOWN`: otherwise it would look alive and lease balancing and
 *   `drain` would count it until its heartbeat aged.
 * - Control requests: kind, arguments, status and result (times are those of the copy).
 * - Checkpoints: copied where the target has none (with their writer as owner), so agents moved to the
 *   target resume where they stopped. A checkpoint the target already has at another position is live
 *   state of the target: kept, and reported in `conflicts`.
 * - Leases are not copied: they are live ownership with an expiry on the source's clock; agents on the
 *   target acquire their own.
 */
export async function copyStore(
  from: StateStore,
  to: StateStore,
  onProgress?: (progress: CopyProgress) => void,
): Promise<CopyReport> {
  const counts = Object.fromEntries(COPY_KINDS.map((kind) => [kind, { copied: 0, skipped: 0 }])) as Record<
    CopyKind,
    { copied: number; skipped: number }
  >;
  const conflicts: string[] = [];
  const tally = (kind: CopyKind, copied: number, skipped: number) => {
    counts[kind].copied += copied;
    counts[kind].skipped += skipped;
    onProgress?.({ kind, ...counts[kind] });
  };
  await copyLog(from, to, tally);
  await copyFailed(from, to, tally);
  await copyRuns(from, to, 'full', tally);
  await copyRuns(from, to, 'ledger', tally);
  await copyEfforts(from, to, tally);
  await copyAgents(from, to, tally);
  await copyControl(from, to, tally);
  await copyCheckpoints(from, to, tally, conflicts);
  return { counts, conflicts };
}

type Tally = (kind: CopyKind, copied: number, skipped: number) => void;

async function copyLog(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
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

interface TargetItem {
  readonly id: number;
  readonly status: FailedMessage['status'];
  readonly history: readonly FailureAttempt[];
}

async function copyFailed(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  const known = new Map<string, TargetItem>();
  let lastId = 0;
  for await (const item of to.failed.iterate({ status: 'any' }, PAGE)) {
    known.set(item.key, { id: item.id, status: item.status, history: item.history });
    lastId = Math.max(lastId, item.id);
  }
  let page: FailedMessage[] = [];
  const flushPage = async () => {
    const fresh = new Set(page.filter((item) => !known.has(item.key)));
    if (fresh.size > 0) {
      await to.flush({ ...EMPTY_BATCH, parked: [...fresh].map(firstParking) });
      for (const item of await to.failed.list({ status: 'any', afterId: lastId })) {
        known.set(item.key, { id: item.id, status: item.status, history: item.history });
        lastId = Math.max(lastId, item.id);
      }
    }
    let skipped = 0;
    for (const item of page) {
      const target = known.get(item.key)!;
      const completed = await complete(to, item, target);
      if (!completed && !fresh.has(item)) skipped++;
    }
    tally('failed', page.length - skipped, skipped);
    page = [];
  };
  for await (const item of from.failed.iterate({ status: 'any' }, PAGE)) {
    page.push(item);
    if (page.length === PAGE) await flushPage();
  }
  if (page.length > 0) await flushPage();
}

/** The parking that creates an item as it was at its first failure (later failures are added after). */
function firstParking(item: FailedMessage): NewFailedMessage {
  const {
    id: _id,
    status: _status,
    firstFailedAt,
    lastFailedAt: _last,
    history,
    replayedAt: _r,
    ...fields
  } = item;
  const first = history[0];
  const later = Math.max(0, history.length - 1);
  return {
    ...fields,
    attempts: Math.max(0, item.attempts - later),
    error: later === 0 ? item.error : (first?.error ?? item.error),
    failedAt: first?.at ?? firstFailedAt,
    via: first?.via ?? 'consume',
  };
}

/**
 * Brings a target item that is a copy in progress (its history a prefix of the source's) up to the
 * source: the failures it lacks, then the status. An item whose history went its own way is the
 * target's own and is left alone. Returns whether anything was written.
 */
async function complete(to: StateStore, item: FailedMessage, target: TargetItem): Promise<boolean> {
  const prefix =
    target.history.length <= item.history.length &&
    target.history.every((a, i) => {
      const b = item.history[i]!;
      return a.at === b.at && a.error === b.error && a.via === b.via;
    });
  if (!prefix) return false;
  let wrote = false;
  for (const attempt of item.history.slice(target.history.length)) {
    await to.failed.recordFailure(target.id, attempt);
    wrote = true;
  }
  if (item.status !== target.status && target.status === 'pending') {
    await to.failed.setStatus([target.id], item.status);
    wrote = true;
  }
  return wrote;
}

async function copyRuns(from: StateStore, to: StateStore, form: RunForm, tally: Tally): Promise<void> {
  const kind = form === 'full' ? 'runs' : 'ledger';
  let page: RunRecord[] = [];
  const flushPage = async () => {
    const present = await to.runs.lookup(
      page.map((run) => run.id),
      page.map((run) => run.eventId),
    );
    const missing = page.filter((run) => !present.has(run.id));
    if (missing.length > 0) {
      if (form === 'full') await to.runs.upsert(missing);
      else await to.flush({ ...EMPTY_BATCH, ledger: missing });
    }
    tally(kind, missing.length, page.length - missing.length);
    page = [];
  };
  for await (const run of from.runs.iterate(form, PAGE)) {
    page.push(run);
    if (page.length === PAGE) await flushPage();
  }
  if (page.length > 0) await flushPage();
}

async function copyEfforts(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  const known = new Set<string>();
  for await (const effort of to.efforts.iterate(PAGE)) known.add(effort.id);
  let page: Effort[] = [];
  const flushPage = async () => {
    const missing = page.filter((effort) => !known.has(effort.id));
    if (missing.length > 0) await to.flush({ ...EMPTY_BATCH, efforts: missing });
    tally('efforts', missing.length, page.length - missing.length);
    page = [];
  };
  for await (const effort of from.efforts.iterate(PAGE)) {
    page.push(effort);
    if (page.length === PAGE) await flushPage();
  }
  if (page.length > 0) await flushPage();
}

async function copyAgents(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  for (const agent of [...(await from.agents.list())].reverse()) {
    if ((await to.agents.get(agent.id)) !== undefined) {
      tally('agents', 0, 1);
      continue;
    }
    const { heartbeatAt: _, ...heartbeat } = agent;
    await to.agents.heartbeat({ ...heartbeat, state: STOPPED.has(agent.state) ? agent.state : 'SHUTDOWN' });
    tally('agents', 1, 0);
  }
}

async function copyControl(from: StateStore, to: StateStore, tally: Tally): Promise<void> {
  const signature = (r: { agentId: string; kind: string; args: unknown }) =>
    JSON.stringify([r.agentId, r.kind, r.args]);
  const unmatched = new Map<string, { id: number; status: string }[]>();
  for (const request of await to.control.list()) {
    const key = signature(request);
    unmatched.set(key, [...(unmatched.get(key) ?? []), { id: request.id, status: request.status }]);
  }
  for (const request of await from.control.list()) {
    const match = unmatched.get(signature(request))?.shift();
    if (match !== undefined && (match.status !== 'pending' || request.status === 'pending')) {
      tally('control', 0, 1);
      continue;
    }
    const id = match?.id ?? (await to.control.request(request.agentId, request.kind, request.args)).id;
    if (request.status !== 'pending') await to.control.update(id, request.status, request.result);
    tally('control', 1, 0);
  }
}

async function copyCheckpoints(
  from: StateStore,
  to: StateStore,
  tally: Tally,
  conflicts: string[],
): Promise<void> {
  const key = (c: { group: string; source: string; partition: string }) =>
    JSON.stringify([c.group, c.source, c.partition]);
  const existing = new Map((await to.checkpoints.list()).map((c) => [key(c), c]));
  const writes: CheckpointWrite[] = [];
  let skipped = 0;
  for (const checkpoint of await from.checkpoints.list()) {
    const theirs = existing.get(key(checkpoint));
    if (theirs === undefined) {
      const { updatedAt: _, ...write } = checkpoint;
      writes.push(write);
      continue;
    }
    skipped++;
    if (theirs.position !== checkpoint.position) {
      conflicts.push(
        `checkpoint ${checkpoint.group}/${checkpoint.source}/${checkpoint.partition}: kept ${theirs.position} (the source has ${checkpoint.position})`,
      );
    }
  }
  if (writes.length > 0) await to.checkpoints.set(writes);
  tally('checkpoints', writes.length, skipped);
}

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
