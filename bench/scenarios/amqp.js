// Scenario `amqp`: 100,000 persistent ~400-byte CloudEvents in a durable quorum queue, prefetch 500, read
// three ways in one run: raw amqplib (parse, ack per message), Rascal 21 with its documented defaults
// (ack per message), and the agent (decode → evaluate-rules → inline process, one run recorded per
// event → ack once recorded). Each round takes the three sides in a rotated order, and each side fills its
// own quorum queue just before it reads it, so every reader starts on the same broker state. (Filling the
// three queues first made the first reader ~20 % slower than the others: the broker was still busy with
// the other full queues.) Every phase runs in its own process. BENCH_ROUNDS rounds (default 5); medians
// compared; `rounds` lists each round's figures. Not in the rounds: the phase `source-<r>` (after
// `fill-<r>-pipeline`) reads the pipeline queue with the agent's AMQP source alone (poll, parse each
// payload, settle each batch: raw amqplib's work, through the source), to tell the AMQP layer's CPU per
// event from the pipeline's. Each side also reports `warmCpuUsPerEvent`: its CPU per event after the
// first fifth of the events (from the first ack past it; for the agent, the first flush past it) to the
// same end. A reader's first messages carry its fixed start-up cost — for the agent ~0.7 s of CPU at
// load 6 (JIT compilation of the pipeline's code, the store's writer thread), 14 µs per event over 50,000
// against 6 for raw amqplib — so `cpuUsPerEvent` is comparable with `local` only at the same
// BENCH_EVENTS (its default is ten times this one's). The scenario `queue-fake` runs the same pipeline on an in-memory queue, without the broker.
// Each side also reports `brokerCpuUsPerEvent`: the RabbitMQ node's CPU (beam.smp, read from /proc when the
// broker runs on this machine) over its phase, per event — on two cores shared with the broker, a reader's
// rate follows its own CPU per event plus the broker's. BENCH_AMQP_DIAG=1 adds to each round the agent's
// `diag` (see `bench/amqp-diag.js`: event-loop utilisation, CPU per thread, polls, acks, unacked over time).
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../dist/core/index.js';
import { openAmqpSource } from '../../dist/core/sources/amqp/open-amqp-source.js';
import { diagnosed } from '../amqp-diag.js';
import {
  AMQP_URL,
  cloudEvent400,
  declareQueues,
  drainCheck,
  fillQueues,
  measured,
  median,
  rascalConsume,
  rawConsume,
  rotated,
  spread,
} from '../amqp-support.js';
import {
  classifyAgent,
  inChildren,
  phase,
  report,
  succeededRuns,
  tempDir,
  timedAgentRun,
  warm,
} from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TYPE = process.env.BENCH_QUEUE_TYPE ?? 'quorum';
const { BENCH_DB: path, BENCH_QUEUE: base } = process.env;
const [, round = '1', filled = ''] = (process.argv[2] ?? '').split('-');
const queue = `${base}.${round}`;
const SIDES = ['baseline', 'rascal', 'pipeline'];
const queues = SIDES.map((side) => `${queue}.${side}`);

/** `fill-<round>-<side>`: that side's queue, fresh and full. */
async function fill() {
  const name = `${queue}.${filled}`;
  await declareQueues([name], TYPE);
  const bodies = Array.from({ length: EVENTS }, (_, i) => Buffer.from(JSON.stringify(cloudEvent400(i))));
  await fillQueues([name], bodies);
  return { events: EVENTS, bytes: bodies[0].length };
}

const baseline = () => measured(EVENTS, () => rawConsume(`${queue}.baseline`, PREFETCH, EVENTS));
const rascal = () => measured(EVENTS, () => rascalConsume(`${queue}.rascal`, TYPE, PREFETCH, EVENTS));

async function pipeline() {
  const store = await openSqliteStore({ path: `${path}.${round}` });
  const reader = openAmqpSource(`${AMQP_URL}?queue=${queue}.pipeline&type=${TYPE}&prefetch=${PREFETCH}`, {
    store,
    group: 'bench',
  });
  const agent = classifyAgent({ store, source: reader, consumer: { untilEmpty: true } });
  // Counted where the agent's progress becomes durable: each flush that acks what was done.
  agent.telemetry.on('commit', () => warm.at(agent.stats.done));
  return measured(EVENTS, () => diagnosed(reader, EVENTS, () => timedAgentRun(store, agent)));
}

/** The AMQP source alone on the pipeline queue: no rules, processes or store. */
async function source() {
  const name = `${queue}.pipeline`;
  const reader = openAmqpSource(`${AMQP_URL}?queue=${name}&type=${TYPE}&prefetch=${PREFETCH}`);
  return measured(EVENTS, async () => {
    const started = process.hrtime.bigint();
    await reader.connect();
    await reader.assign(new Map([[name, { kind: 'earliest' }]]));
    let count = 0;
    while (count < EVENTS) {
      const { messages } = await reader.poll(PREFETCH);
      for (const { payload } of messages) {
        JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
      }
      count += messages.length;
      warm.at(count);
      if (messages.length > 0) await reader.settle(new Map([[name, messages.map((m) => m.position)]]));
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // As `rawConsume`: a quorum queue returns deliveries whose acks are still on their way at close.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await reader.close();
    return { count, seconds };
  });
}

const cleanup = async () => ({ left: await drainCheck(queues) });

const phases = { fill, baseline, rascal, pipeline, source, cleanup };
if (phase()) {
  console.log(JSON.stringify(await phases[phase().split('-')[0]]()));
} else {
  const dir = tempDir('amqp');
  const names = [];
  for (let r = 1; r <= ROUNDS; r++)
    names.push(
      ...rotated(SIDES, r - 1).flatMap((side) => [`fill-${r}-${side}`, `${side}-${r}`]),
      `cleanup-${r}`,
    );
  const results = await inChildren(fileURLToPath(import.meta.url), names, {
    BENCH_DB: `${dir}/agent.db`,
    BENCH_QUEUE: `agentctl-bench-${process.pid}`,
  });
  const rounds = [];
  for (let r = 1; r <= ROUNDS; r++) {
    const p = results[`pipeline-${r}`];
    const stored = succeededRuns(p.storedRuns);
    const left = Object.values(results[`cleanup-${r}`].left).reduce((a, b) => a + b, 0);
    if (p.summary.read !== EVENTS || stored !== EVENTS || left !== 0) {
      console.error(JSON.stringify(results));
      console.error(
        `amqp round ${r}: expected ${EVENTS} events and runs and empty queues, got ${JSON.stringify(p.summary)}, stored ${stored}, left ${JSON.stringify(results[`cleanup-${r}`].left)}`,
      );
      process.exit(1);
    }
    const b = results[`baseline-${r}`];
    const q = results[`rascal-${r}`];
    rounds.push({
      eventsPerSecond: Math.round(p.eventsPerSecond),
      baselineEventsPerSecond: Math.round(b.eventsPerSecond),
      rascalEventsPerSecond: Math.round(q.eventsPerSecond),
      cpuUsPerEvent: p.cpuUsPerEvent,
      baselineCpuUsPerEvent: b.cpuUsPerEvent,
      rascalCpuUsPerEvent: q.cpuUsPerEvent,
      warmCpuUsPerEvent: p.warmCpuUsPerEvent,
      baselineWarmCpuUsPerEvent: b.warmCpuUsPerEvent,
      rascalWarmCpuUsPerEvent: q.warmCpuUsPerEvent,
      rssMb: p.rssMb,
      commits: p.summary.commits,
      brokerCpuUsPerEvent: p.brokerCpuUsPerEvent,
      baselineBrokerCpuUsPerEvent: b.brokerCpuUsPerEvent,
      rascalBrokerCpuUsPerEvent: q.brokerCpuUsPerEvent,
      // BENCH_AMQP_DIAG=1: the fixed work's CPU µs over each side's phase (see `bench/machine-probe.js`).
      ...(p.machineUs === undefined
        ? {}
        : { machineUs: p.machineUs, baselineMachineUs: b.machineUs, rascalMachineUs: q.machineUs }),
      ...(p.diag ? { diag: p.diag } : {}),
    });
  }
  const rate = median(rounds.map((x) => x.eventsPerSecond));
  const rascalRate = median(rounds.map((x) => x.rascalEventsPerSecond));
  report({
    scenario: 'amqp',
    events: EVENTS,
    seconds: EVENTS / rate,
    baselineEventsPerSecond: median(rounds.map((x) => x.baselineEventsPerSecond)),
    rascalEventsPerSecond: Math.round(rascalRate),
    ratioToRascal: Math.round((rate / rascalRate) * 1000) / 1000,
    spread: spread(rounds.map((x) => x.eventsPerSecond)),
    cpuUsPerEvent: median(rounds.map((x) => x.cpuUsPerEvent)),
    warmCpuUsPerEvent: median(rounds.map((x) => x.warmCpuUsPerEvent)),
    brokerCpuUsPerEvent: median(rounds.map((x) => x.brokerCpuUsPerEvent)),
    baselineBrokerCpuUsPerEvent: median(rounds.map((x) => x.baselineBrokerCpuUsPerEvent)),
    rascalBrokerCpuUsPerEvent: median(rounds.map((x) => x.rascalBrokerCpuUsPerEvent)),
    baselineWarmCpuUsPerEvent: median(rounds.map((x) => x.baselineWarmCpuUsPerEvent)),
    rascalWarmCpuUsPerEvent: median(rounds.map((x) => x.rascalWarmCpuUsPerEvent)),
    rssMb: Math.max(...rounds.map((x) => x.rssMb)),
    queueType: TYPE,
    prefetch: PREFETCH,
    rounds,
    target: '>= 1.0 x Rascal and >= 0.85 x raw amqplib (medians, same run); spread (max/min) <= 1.3',
  });
}
