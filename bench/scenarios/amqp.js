// Scenario `amqp`: 100,000 events through an AMQP queue → decode → evaluate-rules → inline process → ack
// (every event matches one rule and runs one process whose run is recorded), against a raw amqplib
// consume + ack loop (same prefetch, JSON.parse and one ack per message) on the same broker in the same
// run. Each round fills two queues (`prepare`), then reads one raw and one through the agent; every phase
// runs in its own process. The broker shares the machine with the phases, so the run does BENCH_ROUNDS
// rounds (default 3) and compares the best of each side (the medians are reported too).
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { openSqliteStore } from '../../dist/core/index.js';
import { openAmqpSource } from '../../dist/core/sources/amqp/open-amqp-source.js';
import {
  classifyAgent,
  inChildren,
  phase,
  report,
  sampleEvent,
  seconds,
  succeededRuns,
  tempDir,
  timedAgentRun,
} from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 500);
const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const { BENCH_DB: path, BENCH_QUEUE: base } = process.env;
/** The round of a phase name such as `pipeline-2`, and its queues. */
const round = (process.argv[2] ?? '').split('-')[1] ?? '1';
const queue = `${base}.${round}`;

async function prepare() {
  const connection = await amqp.connect(URL);
  const channel = await connection.createConfirmChannel();
  for (const name of [`${queue}.baseline`, `${queue}.pipeline`]) {
    await channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    for (let i = 0; i < EVENTS; i++) {
      const ok = channel.sendToQueue(name, Buffer.from(JSON.stringify(sampleEvent(i))), { deliveryMode: 1 });
      if (!ok || i % 5_000 === 4_999) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  }
  await connection.close();
  return { events: EVENTS };
}

/** Baseline: consume with the same prefetch, parse each body as the pipeline does, ack each message. */
async function baseline() {
  const started = process.hrtime.bigint();
  const connection = await amqp.connect(URL);
  const channel = await connection.createChannel();
  await channel.prefetch(PREFETCH);
  let count = 0;
  await new Promise((resolve) => {
    channel.consume(`${queue}.baseline`, (message) => {
      JSON.parse(message.content.toString('utf8'));
      channel.ack(message);
      if (++count === EVENTS) resolve();
    });
  });
  const s = seconds(started);
  await channel.close(); // flushes the last acks before the connection goes
  await connection.close();
  return { count, eventsPerSecond: count / s };
}

async function pipeline() {
  const store = await openSqliteStore({ path: `${path}.${round}` });
  const agent = classifyAgent({
    store,
    source: openAmqpSource(`${URL}?queue=${queue}.pipeline&prefetch=${PREFETCH}`, { store, group: 'bench' }),
    // What `buildAgentOptions` sets for a source with a prefetch: commit at least every quarter of it.
    consumer: {
      untilEmpty: true,
      commitPolicy: {
        intervalMs: 1_000,
        messages: Number(process.env.BENCH_COMMIT ?? Math.ceil(PREFETCH / 4)),
      },
    },
  });
  return timedAgentRun(store, agent);
}

async function cleanup() {
  const connection = await amqp.connect(URL);
  const channel = await connection.createChannel();
  const left = {};
  for (const name of [`${queue}.baseline`, `${queue}.pipeline`]) {
    left[name] = (await channel.checkQueue(name)).messageCount;
    await channel.deleteQueue(name);
  }
  await connection.close();
  return { left };
}

const phases = { prepare, baseline, pipeline, cleanup };
if (phase()) {
  console.log(JSON.stringify(await phases[phase().split('-')[0]]()));
} else {
  const dir = tempDir('amqp');
  const names = [];
  for (let r = 1; r <= ROUNDS; r++)
    names.push(`prepare-${r}`, `baseline-${r}`, `pipeline-${r}`, `cleanup-${r}`);
  const results = await inChildren(fileURLToPath(import.meta.url), names, {
    BENCH_DB: `${dir}/agent.db`,
    BENCH_QUEUE: `agentctl-bench-${process.pid}`,
  });
  const baselines = [];
  const pipelines = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const { summary, storedRuns, seconds: s } = results[`pipeline-${r}`];
    const stored = succeededRuns(storedRuns);
    const left = Object.values(results[`cleanup-${r}`].left).reduce((a, b) => a + b, 0);
    if (summary.read !== EVENTS || stored !== EVENTS || left !== 0) {
      console.error(
        `amqp round ${r}: expected ${EVENTS} events and runs and empty queues, got ${JSON.stringify(summary)}, stored ${stored}, left ${JSON.stringify(results[`cleanup-${r}`].left)}`,
      );
      process.exit(1);
    }
    baselines.push(results[`baseline-${r}`].eventsPerSecond);
    pipelines.push({
      rate: EVENTS / s,
      seconds: s,
      rssMb: results[`pipeline-${r}`].rssMb,
      commits: summary.commits,
    });
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const best = pipelines.reduce((a, b) => (b.rate > a.rate ? b : a));
  report({
    scenario: 'amqp',
    events: EVENTS,
    seconds: best.seconds,
    baselineEventsPerSecond: Math.max(...baselines),
    rssMb: Math.max(...pipelines.map((p) => p.rssMb)),
    runsRecorded: EVENTS,
    commits: best.commits,
    prefetch: PREFETCH,
    rounds: ROUNDS,
    medianEventsPerSecond: Math.round(median(pipelines.map((p) => p.rate))),
    medianBaselineEventsPerSecond: Math.round(median(baselines)),
    target: '>= 0.85 x raw amqplib consume+ack (best of each side)',
  });
}
