// Scenario `kinesis-efo`: enhanced fan-out (`kinesis://STREAM?consumer=NAME`, SubscribeToShard over HTTP/2)
// against GetRecords polling, the same pipeline otherwise (decode → rules → inline process, its run
// recorded → checkpoint in a SQLite store), in the same run, rounds interleaved (the order of the two
// alternates from round to round).
//
// kinesalite has no SubscribeToShard: both modes talk to the enhanced fan-out test server
// (test/support/kinesis-efo-server.ts) in front of an in-memory kinesalite, both in this process; polling
// calls are forwarded to kinesalite through it, so both modes pay the same extra hop. The test server
// reads kinesalite every 20 ms at the tip to push records, so EFO latency here is bounded by that, not by
// AWS (whose pushes take ~70 ms); polling waits 200 ms between calls on an idle shard (the Kinesis limit
// of 5 calls/s per shard). Each reader runs in its own child process.
//
// Two measurements per mode and round:
// - throughput: 4 shards × BENCH_PER_SHARD (default 10,000) events read from TRIM_HORIZON to empty;
// - latency: a fresh empty 4-shard stream, the agent running, then BENCH_LATENCY_EVENTS (default 2,000)
//   events put at BENCH_RATE per second (default 500) in calls of 50; each event carries the time it was
//   put, and the process step records now − that (put → processed); median and p99 over all events.
// `eventsPerSecond` is EFO's median throughput, `baselineEventsPerSecond` polling's; `rounds` has each
// round's figures. Knobs: BENCH_PER_SHARD, BENCH_ROUNDS (default 3), BENCH_LATENCY_EVENTS, BENCH_RATE.
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  Agent,
  defineProcess,
  openSource,
  openSqliteStore,
  ProcessRegistry,
  RuleSet,
  rule,
} from '../../dist/core/index.js';
import {
  createStream,
  kinesisClient,
  median,
  putEvents,
  quantile,
  startEfoServer,
  startKinesaliteServer,
} from '../kinesis-support.js';
import {
  classifyAgent,
  phase,
  report,
  sampleEvent,
  succeededRuns,
  tempDir,
  timedAgentRun,
} from '../support.js';

const SHARDS = 4;
const PER_SHARD = Number(process.env.BENCH_PER_SHARD ?? 10_000);
const EVENTS = SHARDS * PER_SHARD;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_EVENTS = Number(process.env.BENCH_LATENCY_EVENTS ?? 2_000);
const RATE = Number(process.env.BENCH_RATE ?? 500);

function sourceUri(stream) {
  const endpoint = encodeURIComponent(process.env.BENCH_ENDPOINT);
  const efo = process.env.BENCH_MODE === 'efo' ? '&consumer=bench-efo' : '';
  return `kinesis://${stream}?region=us-east-1&endpoint=${endpoint}${efo}`;
}

/** Child phase: the classify pipeline over the pre-filled stream, to empty. */
async function throughput() {
  const store = await openSqliteStore({ path: process.env.BENCH_DB });
  const source = await openSource(sourceUri(process.env.BENCH_STREAM), { store, group: 'bench' });
  const agent = classifyAgent({ store, source, consumer: { untilEmpty: true } });
  const cpu = process.cpuUsage();
  const result = await timedAgentRun(store, agent);
  const { user, system } = process.cpuUsage(cpu);
  return { ...result, cpuSeconds: Math.round((user + system) / 1e4) / 100 };
}

/** Child phase: runs until LATENCY_EVENTS timed events were processed; prints `ready` after the warm-up one. */
async function latency() {
  const store = await openSqliteStore({ path: process.env.BENCH_DB });
  const source = await openSource(sourceUri(process.env.BENCH_STREAM), { store, group: 'bench' });
  const stop = new AbortController();
  const latencies = [];
  const agent = new Agent({
    name: 'bench',
    store,
    source,
    rules: new RuleSet([
      rule({ name: 'warm-up', on: 'bench.warmup', process: 'ready' }),
      rule({ name: 'timed', on: 'bench.timed', process: 'measure' }),
    ]),
    processes: new ProcessRegistry([
      defineProcess({ name: 'ready', steps: [{ name: 'say', run: () => console.log('ready') }] }),
      defineProcess({
        name: 'measure',
        steps: [
          {
            name: 'lag',
            run: ({ event }) => {
              latencies.push(Date.now() - event.data.putAt);
              if (latencies.length >= LATENCY_EVENTS) stop.abort();
            },
          },
        ],
      }),
    ]),
  });
  await agent.run(stop.signal);
  await store.close();
  return { count: latencies.length, medianMs: median(latencies), p99Ms: quantile(latencies, 0.99) };
}

/**
 * Runs a phase of this file in a child process (asynchronously: the servers live in this event loop).
 * `onLine` sees each stdout line as it comes; the last line is the phase's JSON result.
 */
function child(name, env, onLine = () => {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), name], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    const lines = [];
    let partial = '';
    proc.stdout.on('data', (chunk) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop();
      for (const line of parts) {
        lines.push(line);
        onLine(line);
      }
    });
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`phase ${name} failed (exit ${code})`));
      const last = [...lines, partial].filter((l) => l.trim() !== '').at(-1);
      resolve(JSON.parse(last));
    });
  });
}

const phases = { throughput, latency };
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  const kinesalite = await startKinesaliteServer();
  const efo = await startEfoServer({
    kinesalite: kinesalite.endpoint,
    pollMs: 20,
    maxRecordsPerEvent: 2_000,
  });
  const admin = kinesisClient(kinesalite.endpoint);
  const filled = await createStream(admin, 'bench', SHARDS);
  await putEvents(
    admin,
    'bench',
    filled,
    Array.from({ length: EVENTS }, (_, i) => sampleEvent(i)),
  );
  const dir = tempDir('kinesis-efo');
  const env = { BENCH_ENDPOINT: efo.endpoint };
  let streams = 0;

  const measureThroughput = async (mode, round) => {
    const result = await child('throughput', {
      ...env,
      BENCH_MODE: mode,
      BENCH_STREAM: 'bench',
      BENCH_DB: `${dir}/${mode}-t${round}.db`,
    });
    const { summary, storedRuns, checkpoints } = result;
    if (summary.read !== EVENTS || succeededRuns(storedRuns) !== EVENTS || checkpoints.length !== SHARDS)
      throw new Error(
        `${mode}: expected ${EVENTS} events and ${SHARDS} checkpoints; got ${JSON.stringify(summary)}`,
      );
    return {
      seconds: result.seconds,
      eventsPerSecond: Math.round(EVENTS / result.seconds),
      cpu: result.cpuSeconds,
      rssMb: result.rssMb,
    };
  };

  const measureLatency = async (mode, round) => {
    const stream = `live-${streams++}`;
    const shards = await createStream(admin, stream, SHARDS);
    let ready;
    const isReady = new Promise((resolve) => {
      ready = resolve;
    });
    const running = child(
      'latency',
      { ...env, BENCH_MODE: mode, BENCH_STREAM: stream, BENCH_DB: `${dir}/${mode}-l${round}.db` },
      (line) => line === 'ready' && ready(),
    );
    await putEvents(admin, stream, shards, [
      { type: 'bench.warmup', specversion: '1.0', id: 'warm', source: '/bench', data: {} },
    ]);
    await isReady;
    const batch = 50;
    const started = Date.now();
    for (let i = 0; i < LATENCY_EVENTS; i += batch) {
      const due = started + (i / RATE) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const events = Array.from({ length: Math.min(batch, LATENCY_EVENTS - i) }, (_, j) => ({
        ...sampleEvent(i + j),
        type: 'bench.timed',
      }));
      await putEvents(admin, stream, shards, events, (e) => ({ ...e, data: { putAt: Date.now() } }));
    }
    const result = await running;
    if (result.count !== LATENCY_EVENTS)
      throw new Error(`${mode}: ${result.count} of ${LATENCY_EVENTS} timed events`);
    return { medianMs: result.medianMs, p99Ms: result.p99Ms };
  };

  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['polling', 'efo'] : ['efo', 'polling'];
    const figures = { order };
    for (const mode of order) figures[mode] = { throughput: await measureThroughput(mode, round) };
    for (const mode of order) figures[mode].latency = await measureLatency(mode, round);
    rounds.push(figures);
  }
  admin.destroy();
  await efo.close();
  await kinesalite.close();

  const of = (mode, pick) => rounds.map((r) => pick(r[mode]));
  const efoRate = median(of('efo', (m) => m.throughput.eventsPerSecond));
  const pollingRate = median(of('polling', (m) => m.throughput.eventsPerSecond));
  report({
    scenario: 'kinesis-efo',
    events: EVENTS,
    seconds: EVENTS / efoRate,
    baselineEventsPerSecond: pollingRate,
    rssMb: Math.max(...of('efo', (m) => m.throughput.rssMb)),
    latencyMs: {
      efo: {
        median: median(of('efo', (m) => m.latency.medianMs)),
        p99: median(of('efo', (m) => m.latency.p99Ms)),
      },
      polling: {
        median: median(of('polling', (m) => m.latency.medianMs)),
        p99: median(of('polling', (m) => m.latency.p99Ms)),
      },
    },
    rounds,
    loadAverage: Math.round(loadavg()[0] * 100) / 100,
    note: 'EFO through the test server (20 ms tip poll of kinesalite); polling forwarded through the same server',
  });
}
