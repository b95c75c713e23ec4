// Scenario `local`: 1,000,000 events through local log → decode → evaluate-rules → inline process →
// checkpoint (every event matches one rule and runs one process whose run is recorded), against a raw
// read loop over the same SQLite log in the same run. Each phase runs in its own process; baseline and
// pipeline rounds interleave (BENCH_ROUNDS, default 3), each pipeline round on a fresh copy of the
// prepared store. BENCH_EVENTS sets the event count (10,000,000 to see RSS stay flat: the line reports
// `rssMbPerMillionEvents`, the slope of RSS over the second half of the run).
// A third phase, `floor`, interleaved with the two, is the least work the agent's contract asks of one
// thread per event, with nothing written: the same read as the baseline, each record decoded as the
// agent decodes it, and its run id derived (`runIdOf`). It tells this machine's ceiling for the target
// now (`floorEventsPerSecond`): the agent also records a run per event and moves its checkpoints.
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeCloudEvent, LocalSource, openSqliteStore, runIdOf } from '../../dist/core/index.js';
import {
  classifyAgent,
  fillBenchLog,
  inChildren,
  interleaved,
  median,
  phase,
  report,
  roundFigures,
  seconds,
  succeededRuns,
  tempDir,
  timedAgentRun,
} from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const path = process.env.BENCH_DB;

async function prepare() {
  const store = await openSqliteStore({ path });
  await fillBenchLog(store, 'bench', EVENTS);
  await store.close();
  return { events: EVENTS };
}

/** Reads every record of every partition in batches of 500, handing each batch to `each`; returns the count. */
async function readAll(store, each) {
  let count = 0;
  for (let p = 0; p < 4; p++) {
    let after = -1;
    for (;;) {
      const records = await store.log.read('bench', p, after, 500);
      if (records.length === 0) break;
      each(records);
      count += records.length;
      after = records[records.length - 1].offset;
    }
  }
  return count;
}

/** Baseline: read every record and count them. */
async function baseline() {
  const store = await openSqliteStore({ path });
  const started = process.hrtime.bigint();
  const count = await readAll(store, () => undefined);
  const s = seconds(started);
  await store.close();
  return { count, eventsPerSecond: count / s };
}

/** Floor: the baseline's read, then each record decoded and its run id derived; nothing written. */
async function floor() {
  const store = await openSqliteStore({ path });
  const started = process.hrtime.bigint();
  let digests = 0;
  const count = await readAll(store, (records) => {
    for (const record of records)
      digests += runIdOf('bench', decodeCloudEvent(record.value), 'classify').length;
  });
  const s = seconds(started);
  await store.close();
  return { count, digests, eventsPerSecond: count / s };
}

async function pipeline() {
  const copy = `${path}.round`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(copy + suffix, { force: true });
  copyFileSync(path, copy);
  const store = await openSqliteStore({ path: copy });
  const agent = classifyAgent({
    store,
    source: new LocalSource({ store, topic: 'bench', group: 'bench' }),
    consumer: {
      untilEmpty: true,
      ...(process.env.BENCH_POLL ? { pollMax: Number(process.env.BENCH_POLL) } : {}),
      ...(process.env.BENCH_COMMIT
        ? { commitPolicy: { intervalMs: 1000, messages: Number(process.env.BENCH_COMMIT) } }
        : {}),
    },
  });
  return timedAgentRun(store, agent);
}

const phases = { prepare, baseline, floor, pipeline };
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const dir = tempDir('local');
  const file = fileURLToPath(import.meta.url);
  const env = { BENCH_DB: `${dir}/agent.db` };
  await inChildren(file, ['prepare'], env);
  const results = await interleaved(file, ['baseline', 'floor', 'pipeline'], undefined, env);
  for (const { summary, storedRuns } of results.pipeline) {
    const stored = succeededRuns(storedRuns);
    if (summary.read !== EVENTS || summary.runs.succeeded !== EVENTS || stored !== EVENTS) {
      console.error(
        `local: expected ${EVENTS} events and runs, got ${JSON.stringify(summary)}, stored ${stored}`,
      );
      process.exit(1);
    }
  }
  const rounds = results.pipeline.map((p, i) =>
    roundFigures(EVENTS / p.seconds, results.baseline[i].eventsPerSecond, {
      floorEventsPerSecond: Math.round(results.floor[i].eventsPerSecond),
      rssMb: p.rssMb,
      rssMbPerMillionEvents: p.rssMbPerMillionEvents,
      cpuUsPerEvent: p.cpuUsPerEvent,
      mainCpuUsPerEvent: p.mainCpuUsPerEvent,
    }),
  );
  const last = results.pipeline.at(-1);
  report({
    scenario: 'local',
    events: EVENTS,
    seconds: median(results.pipeline.map((p) => p.seconds)),
    eventsPerSecond: median(rounds.map((r) => r.eventsPerSecond)),
    baselineEventsPerSecond: median(rounds.map((r) => r.baselineEventsPerSecond)),
    floorEventsPerSecond: median(rounds.map((r) => r.floorEventsPerSecond)),
    ratio: median(rounds.map((r) => r.ratio)),
    rssMb: Math.max(...rounds.map((r) => r.rssMb)),
    rssMbPerMillionEvents: median(rounds.map((r) => r.rssMbPerMillionEvents)),
    cpuUsPerEvent: median(rounds.map((r) => r.cpuUsPerEvent)),
    runsRecorded: succeededRuns(last.storedRuns),
    commits: last.summary.commits,
    checkpoints: last.checkpoints.map((c) => `${c.partition}@${c.position}`).join(' '),
    target: '>= 200000 events/s; rss < 150 MB; rss flat (rssMbPerMillionEvents ~ 0)',
    rounds,
  });
}
