// Scenario `local`: 1,000,000 events through local log → decode → evaluate-rules → inline process →
// checkpoint (every event matches one rule and runs one process whose run is recorded), against a raw
// read loop over the same SQLite log in the same run. Each phase runs in its own process.
import { fileURLToPath } from 'node:url';
import { LocalSource, openSqliteStore } from '../../dist/core/index.js';
import {
  classifyAgent,
  fillBenchLog,
  inChildren,
  phase,
  report,
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

/** Baseline: read every record of every partition in batches of 500 and count them. */
async function baseline() {
  const store = await openSqliteStore({ path });
  const started = process.hrtime.bigint();
  let count = 0;
  for (let p = 0; p < 4; p++) {
    let after = -1;
    for (;;) {
      const records = await store.log.read('bench', p, after, 500);
      if (records.length === 0) break;
      count += records.length;
      after = records[records.length - 1].offset;
    }
  }
  const s = seconds(started);
  await store.close();
  return { count, eventsPerSecond: count / s };
}

async function pipeline() {
  const store = await openSqliteStore({ path });
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

const phases = { prepare, baseline, pipeline };
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const dir = tempDir('local');
  const results = await inChildren(fileURLToPath(import.meta.url), ['prepare', 'baseline', 'pipeline'], {
    BENCH_DB: `${dir}/agent.db`,
  });
  const { summary, checkpoints, storedRuns } = results.pipeline;
  const stored = succeededRuns(storedRuns);
  if (summary.read !== EVENTS || summary.runs.succeeded !== EVENTS || stored !== EVENTS) {
    console.error(
      `local: expected ${EVENTS} events and runs, got ${JSON.stringify(summary)}, stored ${stored}`,
    );
    process.exit(1);
  }
  report({
    scenario: 'local',
    events: EVENTS,
    seconds: results.pipeline.seconds,
    baselineEventsPerSecond: results.baseline.eventsPerSecond,
    rssMb: results.pipeline.rssMb,
    runsRecorded: stored,
    commits: summary.commits,
    checkpoints: checkpoints.map((c) => `${c.partition}@${c.position}`).join(' '),
    target: '>= 200000 events/s; rss < 150 MB',
  });
}
