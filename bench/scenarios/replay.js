// Scenario `replay`: 100,000 parked records (publish failures) replayed from the failed store to a local
// sink (`local:results`) with `replayFailed`, against a raw loop doing the same work without the
// framework: page through the pending items, append their values to the log, mark them replayed. Each
// round (BENCH_ROUNDS, default 3) prepares a fresh store, then runs the baseline and the replay.
// BENCH_RUN_IDS=hashed parks the records under run ids as agents make them (`runIdOf`: 27 characters of a
// SHA-256, in no order) instead of `run-<n>`: every effort the replay writes then lands at a random place
// of the efforts' run-id index, as it does for a real store's parked records (the default keeps the
// figures comparable with earlier runs).
// Besides the process's CPU per item, each replay round reports the CPU of its main thread and of its
// busiest other thread — the store's writer thread, which applies the sink's appends and the page
// flushes — per item (`mainCpuUsPerItem`, `writerCpuUsPerItem`; Linux only, from /proc/self/task): the
// replay's rate is bounded by the writer thread, which does all of the SQL writing of both.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqliteStore, replayFailed, runIdOf } from '../../dist/core/index.js';
import {
  interleaved,
  median,
  phase,
  procCpu,
  report,
  roundFigures,
  sampleEvent,
  seconds,
  tempDir,
  withPeakRss,
} from '../support.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 100_000);
const path = `${process.env.BENCH_DIR}/agent-${process.env.BENCH_ROUND ?? 0}.db`;
const encoder = new TextEncoder();
const HASHED_RUN_IDS = process.env.BENCH_RUN_IDS === 'hashed';
/** BENCH_PAGE_SIZE: the replay's page (default: `replayFailed`'s); BENCH_CACHE_KIB: the store's page cache. */
const PAGE_SIZE = process.env.BENCH_PAGE_SIZE === undefined ? undefined : Number(process.env.BENCH_PAGE_SIZE);
const CACHE =
  process.env.BENCH_CACHE_KIB === undefined ? {} : { pageCacheKib: Number(process.env.BENCH_CACHE_KIB) };
/** BENCH_PAYLOAD_BYTES: pads each parked record's value to about this many bytes (default: ~80). */
const PAD = Number(process.env.BENCH_PAYLOAD_BYTES ?? 0);

/** The run id of the `j`-th parked record. */
function runIdAt(j) {
  return HASHED_RUN_IDS ? runIdOf('bench', { source: 'bench', id: `evt-${j}` }, 'rule') : `run-${j}`;
}

async function prepare() {
  const store = await openSqliteStore({ path });
  for (let i = 0; i < ITEMS; i += 5_000) {
    const parked = [];
    for (let j = i; j < Math.min(ITEMS, i + 5_000); j++) {
      const runId = runIdAt(j);
      const output = { runId, output: sampleEvent(j).data };
      const text = JSON.stringify(output);
      const value = encoder.encode(
        text.length >= PAD
          ? text
          : JSON.stringify({ ...output, pad: 'x'.repeat(Math.max(0, PAD - text.length - 10)) }),
      );
      parked.push({
        group: 'bench',
        source: 'local:bench',
        partition: String(j % 4),
        position: String(j),
        reason: 'publish',
        kind: 'record',
        error: 'sink unreachable',
        sink: 'local:results',
        recordKey: `sub-${j % 5000}`,
        runId,
        attempts: 6,
        raw: value,
        timestamp: 1_795_000_000_000 + j,
        failedAt: 1_795_000_000_000 + j,
        key: `publish/local:results/${runId}`,
      });
    }
    await store.flush({ runs: [], ledger: [], efforts: [], parked });
  }
  await store.close();
  return { items: ITEMS };
}

async function baseline() {
  const store = await openSqliteStore({ path });
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let count = 0;
  let afterId = 0;
  for (;;) {
    const page = await store.failed.list({ status: 'pending', afterId, limit: 500 });
    if (page.length === 0) break;
    await store.log.append(
      'baseline',
      page.map((item) => ({ value: item.raw, key: item.recordKey })),
    );
    await store.failed.setStatus(
      page.map((item) => item.id),
      'replayed',
    );
    count += page.length;
    afterId = page[page.length - 1].id;
  }
  const s = seconds(started);
  const cpuUsPerItem = cpuPerItem(process.cpuUsage(cpu0), count);
  // Put the items back for the measured run.
  const ids = [];
  for await (const item of store.failed.iterate({ status: 'replayed' })) ids.push(item.id);
  for (let i = 0; i < ids.length; i += 10_000)
    await store.failed.setStatus(ids.slice(i, i + 10_000), 'pending');
  await store.close();
  return { count, eventsPerSecond: count / s, cpuUsPerItem };
}

async function replay() {
  const store = await openSqliteStore({ path, ...CACHE });
  const threads0 = threadCpuMs();
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const { result, rssMb } = await withPeakRss(() =>
    replayFailed({
      store,
      config: { name: 'bench', publisher: { sink: 'local:results' } },
      filter: {},
      ...(PAGE_SIZE === undefined ? {} : { pageSize: PAGE_SIZE }),
    }),
  );
  const s = seconds(started);
  const cpuUsPerItem = cpuPerItem(process.cpuUsage(cpu0), result.replayed);
  // Before `close`, which ends the writer thread.
  const split = threadSplit(threads0, threadCpuMs(), result.replayed);
  let delivered = 0;
  for (let p = 0; p < 4; p++) delivered += (await store.log.bounds('results', p)).latest + 1;
  await store.close();
  return {
    seconds: s,
    rssMb,
    cpuUsPerItem,
    ...split,
    replayed: result.replayed,
    delivered,
    summary: result,
  };
}

/** CPU of the whole process (main thread and the store's writer thread) per item, in µs. */
function cpuPerItem(cpu, items) {
  return items > 0 ? Math.round(((cpu.user + cpu.system) / items) * 100) / 100 : 0;
}

/** CPU ms (user + system) of each thread of this process, by thread id; empty where there is no /proc. */
function threadCpuMs() {
  const ms = new Map();
  let tids = [];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    // Not Linux: no split.
  }
  for (const tid of tids) {
    const cpu = procCpu(`/proc/self/task/${tid}/stat`);
    if (cpu !== undefined) ms.set(tid, cpu.ms);
  }
  return ms;
}

/**
 * The main thread's CPU per item between two `threadCpuMs`, and that of the busiest other thread (the
 * store's writer thread: V8's helper threads each take a few µs per item); `{}` without /proc.
 */
function threadSplit(before, after, items) {
  if (after.size === 0 || items === 0) return {};
  const used = (tid) => after.get(tid) - (before.get(tid) ?? 0);
  let writer = 0;
  for (const tid of after.keys()) if (tid !== String(process.pid)) writer = Math.max(writer, used(tid));
  const perItem = (ms) => Math.round(((ms * 1000) / items) * 10) / 10;
  return { mainCpuUsPerItem: perItem(used(String(process.pid))), writerCpuUsPerItem: perItem(writer) };
}

const phases = { prepare, baseline, replay };
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const dir = tempDir('replay');
  const results = await interleaved(
    fileURLToPath(import.meta.url),
    ['prepare', 'baseline', 'replay'],
    undefined,
    {
      BENCH_DIR: dir,
    },
  );
  for (const { delivered, summary } of results.replay) {
    if (delivered !== ITEMS) {
      console.error(
        `replay: expected ${ITEMS} records delivered, got ${delivered}: ${JSON.stringify(summary)}`,
      );
      process.exit(1);
    }
  }
  const rounds = results.replay.map((r, i) =>
    roundFigures(ITEMS / r.seconds, results.baseline[i].eventsPerSecond, {
      rssMb: r.rssMb,
      cpuUsPerItem: r.cpuUsPerItem,
      baselineCpuUsPerItem: results.baseline[i].cpuUsPerItem,
      ...(r.mainCpuUsPerItem === undefined
        ? {}
        : { mainCpuUsPerItem: r.mainCpuUsPerItem, writerCpuUsPerItem: r.writerCpuUsPerItem }),
    }),
  );
  report({
    scenario: 'replay',
    events: ITEMS,
    seconds: median(results.replay.map((r) => r.seconds)),
    eventsPerSecond: median(rounds.map((r) => r.eventsPerSecond)),
    baselineEventsPerSecond: median(rounds.map((r) => r.baselineEventsPerSecond)),
    ratio: median(rounds.map((r) => r.ratio)),
    rssMb: Math.max(...rounds.map((r) => r.rssMb)),
    cpuUsPerItem: median(rounds.map((r) => r.cpuUsPerItem)),
    baselineCpuUsPerItem: median(rounds.map((r) => r.baselineCpuUsPerItem)),
    ...(rounds[0].mainCpuUsPerItem === undefined
      ? {}
      : {
          mainCpuUsPerItem: median(rounds.map((r) => r.mainCpuUsPerItem)),
          writerCpuUsPerItem: median(rounds.map((r) => r.writerCpuUsPerItem)),
        }),
    delivered: ITEMS,
    target: '>= 75000 messages/s to a local sink',
    runIds: HASHED_RUN_IDS ? 'hashed' : 'run-<n>',
    rounds,
  });
}
