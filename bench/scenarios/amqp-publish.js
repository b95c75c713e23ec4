// Scenario `amqp-publish`: 100,000 records published with confirms through RetryingPublisher + AmqpSink
// (micro-batched sends, per-record efforts, retries on nack/timeout), against raw amqplib confirm-channel
// publishing (every message with its confirm callback, waiting for `drain` when told to) on the same
// broker in the same run. Records are ~400-byte CloudEvents, persistent, to a durable quorum queue
// (BENCH_QUEUE_TYPE to change). Every phase runs in its own process; BENCH_ROUNDS rounds (default 5),
// sides alternating which goes first; medians compared; `rounds` lists each round's figures. Each side also
// reports its CPU µs per event (process.cpuUsage over the timed part): on this shared 2-core host, with the
// broker on the same cores, rates swing with the machine's load while CPU per event does not.
// Both sides publish the same message: persistent, `messageId`, `timestamp` (seconds) and `mandatory` as the
// sink sets it by default (issue 13: the raw loop used to publish without `mandatory`, which spares the
// broker a routing check it makes for every mandatory message). BENCH_MANDATORY=false compares both sides
// without it (the sink's `mandatory=false`). The raw loop keeps at most as many messages unconfirmed as the
// pipeline's producer keeps records outstanding (WINDOW; BENCH_RAW_WINDOW to change, 0 for no bound as the
// loop had before issue 13): a confirm window is what a confirmed publisher's rate depends on most.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import amqp from 'amqplib';
import { contingency, Journal, RetryingPublisher } from '../../dist/core/index.js';
import { AmqpSink } from '../../dist/core/publish/sinks/amqp-sink.js';
import { cloudEvent400, median, rotated, spread } from '../amqp-support.js';
import { inChildren, phase, report, seconds, withPeakRss } from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TYPE = process.env.BENCH_QUEUE_TYPE ?? 'quorum';
const WINDOW = Number(process.env.BENCH_WINDOW ?? 1_000);
const MAX_BATCH = Number(process.env.BENCH_MAX_BATCH ?? 1_000);
const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MANDATORY = process.env.BENCH_MANDATORY !== 'false';
/** Unconfirmed messages the raw loop allows (0: no bound, as before issue 13); default the pipeline's WINDOW. */
const RAW_WINDOW = Number(process.env.BENCH_RAW_WINDOW ?? WINDOW) || Number.POSITIVE_INFINITY;
const base = process.env.BENCH_QUEUE;
const round = (process.argv[2] ?? '').split('-')[1] ?? '1';
const queue = `${base}.${round}`;

function bodies() {
  return Array.from({ length: EVENTS }, (_, i) => Buffer.from(JSON.stringify(cloudEvent400(i))));
}

async function prepare() {
  const connection = await amqp.connect(URL);
  const channel = await connection.createChannel();
  for (const name of [`${queue}.baseline`, `${queue}.pipeline`]) {
    await channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': TYPE } });
  }
  await connection.close();
  return { queues: 2 };
}

/**
 * Baseline: publish every message on a confirm channel with its callback; done when all are confirmed. The
 * message is the sink's: the same properties, `mandatory` included. At most RAW_WINDOW messages are
 * unconfirmed at a time (the pipeline's producer keeps WINDOW records outstanding); a full write buffer
 * waits for `drain` either way.
 */
async function baseline() {
  const values = bodies();
  const connection = await amqp.connect(URL, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let confirmed = 0;
  let failed = 0;
  await new Promise((resolve) => {
    let i = 0;
    let blocked = false;
    let stalled = false;
    const pump = () => {
      blocked = false;
      stalled = false;
      while (i < EVENTS) {
        if (i - confirmed >= RAW_WINDOW) {
          stalled = true;
          return;
        }
        const ok = channel.publish(
          '',
          `${queue}.baseline`,
          values[i],
          {
            persistent: true,
            mandatory: MANDATORY,
            messageId: `rec-${i}`,
            timestamp: Math.floor((1_795_000_000_000 + i) / 1000),
          },
          onConfirm,
        );
        i++;
        if (!ok) {
          blocked = true;
          channel.once('drain', pump);
          return;
        }
      }
    };
    const onConfirm = (error) => {
      if (error) failed++;
      if (++confirmed === EVENTS) resolve();
      else if (stalled && !blocked) pump();
    };
    pump();
  });
  const s = seconds(started);
  const cpuUsPerEvent = cpuPerEvent(cpu);
  await connection.close();
  return { count: confirmed, failed, eventsPerSecond: EVENTS / s, cpuUsPerEvent };
}

async function pipeline() {
  const values = bodies();
  const journal = new Journal();
  const sink = new AmqpSink(`${URL}?queue=${queue}.pipeline&maxBatch=${MAX_BATCH}&mandatory=${MANDATORY}`);
  const publisher = new RetryingPublisher({ sink, contingency: contingency(), journal, group: 'bench' });
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  // A producer keeping WINDOW records outstanding, as the agent's Produce step does (maxInFlight).
  // Each effort is counted and let go, as the agent lets it go once its journal is flushed: keeping all
  // 100,000 of them made the pipeline's heap (and its garbage collector) carry what no agent carries.
  let delivered = 0;
  let retries = 0;
  const { rssMb } = await withPeakRss(async () => {
    let next = 0;
    const lane = async () => {
      while (next < EVENTS) {
        const i = next++;
        const effort = await publisher.publish({
          id: `rec-${i}`,
          value: values[i],
          timestamp: 1_795_000_000_000 + i,
        });
        if (effort.culmination === 'delivered') delivered++;
        retries += effort.retries;
        // The agent flushes the journal at every commit; here it is simply emptied now and then.
        if (i % 1_000 === 0) journal.take();
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, lane));
  });
  const s = seconds(started);
  const cpuUsPerEvent = cpuPerEvent(cpu);
  await publisher.close();
  return { seconds: s, rssMb, delivered, retries, cpuUsPerEvent };
}

/** CPU (user + system) µs per event since `start` (a `process.cpuUsage()`), to one decimal. */
function cpuPerEvent(start) {
  const used = process.cpuUsage(start);
  return Math.round(((used.user + used.system) / EVENTS) * 10) / 10;
}

async function cleanup() {
  const connection = await amqp.connect(URL);
  const channel = await connection.createChannel();
  const counts = {};
  for (const name of [`${queue}.baseline`, `${queue}.pipeline`]) {
    counts[name.split('.').pop()] = (await channel.checkQueue(name)).messageCount;
    await channel.deleteQueue(name);
  }
  await connection.close();
  return { counts };
}

const phases = { prepare, baseline, pipeline, cleanup };
if (phase()) {
  console.log(JSON.stringify(await phases[phase().split('-')[0]]()));
} else {
  const names = [];
  for (let r = 1; r <= ROUNDS; r++)
    names.push(
      `prepare-${r}`,
      ...rotated(['baseline', 'pipeline'], r - 1).map((side) => `${side}-${r}`),
      `cleanup-${r}`,
    );
  const results = await inChildren(fileURLToPath(import.meta.url), names, {
    BENCH_QUEUE: `agentctl-bench-publish-${process.pid}`,
  });
  const baselines = [];
  const pipelines = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const p = results[`pipeline-${r}`];
    const { counts } = results[`cleanup-${r}`];
    if (p.delivered !== EVENTS || counts.pipeline !== EVENTS || counts.baseline !== EVENTS) {
      console.error(
        `amqp-publish round ${r}: expected ${EVENTS} delivered and queued, got ${JSON.stringify({ ...p, counts })}`,
      );
      process.exit(1);
    }
    baselines.push(results[`baseline-${r}`]);
    pipelines.push({ ...p, rate: EVENTS / p.seconds });
  }
  const rounds = pipelines.map((p, i) => ({
    eventsPerSecond: Math.round(p.rate),
    baselineEventsPerSecond: Math.round(baselines[i].eventsPerSecond),
    ratio: Math.round((p.rate / baselines[i].eventsPerSecond) * 1000) / 1000,
    cpuUsPerEvent: p.cpuUsPerEvent,
    baselineCpuUsPerEvent: baselines[i].cpuUsPerEvent,
    rssMb: p.rssMb,
    retries: p.retries,
  }));
  const rate = median(rounds.map((x) => x.eventsPerSecond));
  report({
    scenario: 'amqp-publish',
    events: EVENTS,
    seconds: EVENTS / rate,
    baselineEventsPerSecond: median(rounds.map((x) => x.baselineEventsPerSecond)),
    spread: spread(rounds.map((x) => x.eventsPerSecond)),
    baselineSpread: spread(rounds.map((x) => x.baselineEventsPerSecond)),
    // The ratio of each round's two sides, run back to back: less exposed to load that changes between rounds.
    medianRoundRatio: median(rounds.map((x) => x.ratio)),
    cpuUsPerEvent: median(rounds.map((x) => x.cpuUsPerEvent)),
    baselineCpuUsPerEvent: median(rounds.map((x) => x.baselineCpuUsPerEvent)),
    loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    rssMb: Math.max(...rounds.map((x) => x.rssMb)),
    queueType: TYPE,
    mandatory: MANDATORY,
    rawWindow: Number.isFinite(RAW_WINDOW) ? RAW_WINDOW : 'none',
    rounds,
    target: '>= 0.9 x raw amqplib confirm-channel publishing (medians, same run)',
  });
}
