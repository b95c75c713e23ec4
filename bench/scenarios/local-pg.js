// Scenario `local-pg`: the `local` pipeline (embedded log → decode → rules → inline process → checkpoint,
// one recorded run per event) with the PostgreSQL state store, against the same pipeline with the SQLite
// store in the same run; `ratio` = PostgreSQL / SQLite. Needs PostgreSQL at PG_URL (default
// postgres://postgres@127.0.0.1:5432/test); each phase uses a fresh schema.
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { LocalSource, openStore } from '../../dist/core/index.js';
import {
  classifyAgent,
  fillBenchLog,
  inChildren,
  phase,
  report,
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
  sqlite: () => run(`${process.env.BENCH_DIR}/agent.db`),
  postgres: () => withSchema(run),
};
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const dir = tempDir('local-pg');
  const results = await inChildren(fileURLToPath(import.meta.url), ['sqlite', 'postgres'], {
    BENCH_DIR: dir,
  });
  report({
    scenario: 'local-pg',
    events: EVENTS,
    seconds: results.postgres.seconds,
    baselineEventsPerSecond: results.sqlite.eventsPerSecond,
    rssMb: results.postgres.rssMb,
    sqliteRssMb: results.sqlite.rssMb,
    note: 'baseline = the same pipeline on the SQLite store; ratio = PostgreSQL / SQLite',
  });
}
