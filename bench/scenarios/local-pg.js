// Scenario `local-pg`: the `local` pipeline (embedded log → decode → rules → inline process → checkpoint,
// one recorded run per event) with the PostgreSQL state store, against the same pipeline with the SQLite
// store in the same run; `ratio` = PostgreSQL / SQLite. Needs PostgreSQL at PG_URL (default
// postgres://postgres@127.0.0.1:5432/test); each phase uses a fresh schema (SQLite: a fresh file), and
// SQLite and PostgreSQL rounds interleave (BENCH_ROUNDS, default 3).
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LocalSource, openStore } from '../../dist/core/index.js';
import {
  classifyAgent,
  fillBenchLog,
  interleaved,
  median,
  phase,
  report,
  roundFigures,
  tempDir,
  timedAgentRun,
} from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function run(location) {
  const store = await openStore(location);
  await fillBenchLog(store, 'bench', EVENTS);
  const agent = classifyAgent({
    store,
    source: new LocalSource({ store, topic: 'bench', group: 'bench' }),
    consumer: { untilEmpty: true },
  });
  const { seconds: s, rssMb, summary: result } = await timedAgentRun(store, agent);
  if (result.read !== EVENTS || result.runs.succeeded !== EVENTS)
    throw new Error(`incomplete run: ${JSON.stringify(result)}`);
  return { seconds: s, eventsPerSecond: EVENTS / s, rssMb };
}

async function withSchema(work) {
  const schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    return await work(`${PG_URL}${PG_URL.includes('?') ? '&' : '?'}schema=${schema}`);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
}

const phases = {
  sqlite: () => run(`${process.env.BENCH_DIR}/agent-${process.env.BENCH_ROUND ?? 0}.db`),
  postgres: () => withSchema(run),
};
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const dir = tempDir('local-pg');
  const results = await interleaved(fileURLToPath(import.meta.url), ['sqlite', 'postgres'], undefined, {
    BENCH_DIR: dir,
  });
  const rounds = results.postgres.map((p, i) =>
    roundFigures(p.eventsPerSecond, results.sqlite[i].eventsPerSecond, {
      rssMb: p.rssMb,
      sqliteRssMb: results.sqlite[i].rssMb,
    }),
  );
  report({
    scenario: 'local-pg',
    events: EVENTS,
    seconds: median(results.postgres.map((p) => p.seconds)),
    eventsPerSecond: median(rounds.map((r) => r.eventsPerSecond)),
    baselineEventsPerSecond: median(rounds.map((r) => r.baselineEventsPerSecond)),
    ratio: median(rounds.map((r) => r.ratio)),
    rssMb: Math.max(...rounds.map((r) => r.rssMb)),
    sqliteRssMb: Math.max(...rounds.map((r) => r.sqliteRssMb)),
    note: 'baseline = the same pipeline on the SQLite store; ratio = PostgreSQL / SQLite (medians)',
    target: '>= 0.75',
    rounds,
  });
}
