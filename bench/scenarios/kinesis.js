// Scenario `kinesis`: 4 shards × 25,000 events on kinesalite through the full pipeline (Kinesis source →
// decode → evaluate-rules → inline process, its run recorded → checkpoint in a SQLite store), against a raw
// SDK GetRecords loop over the same stream in the same run.
//
// kinesalite runs in this (the scenario's) process, in memory; each phase runs in its own child process and
// reaches it over HTTP, so the reader under test never shares its event loop with the server. The raw loop
// is the fastest plain way to read the whole stream: one loop per shard, the four side by side, each taking
// a TRIM_HORIZON iterator and calling GetRecords (Limit 10,000, the Kinesis maximum) back to back until a
// call returns no records (the tip), counting records and touching their bytes. The raw loop's client is
// the plain SDK (its own deserializer) over the same HTTP/1.1 keep-alive handler settings as
// `createKinesisClient`, which the pipeline uses; `createKinesisClient` reads GetRecords answers without the
// SDK's deserializer (issue 13), so BENCH_BASELINE=agentctl-client gives the raw loop that client too, to
// see what the pipeline costs beyond reading; BENCH_BASELINE=source replaces the raw loop by the Kinesis
// source alone (shard readers, buffers, messages; polled 500 at a time as the processor does, nothing
// processed), to see what the source layer costs beyond reading. The pipeline is timed from `agent.run()` to
// its return (`untilEmpty`): discovery, leases, reading, processing and the final checkpoints included.
// Each phase runs ROUNDS times (default 3), alternating, and the median round of each counts (issue 13:
// ratios are medians of interleaved rounds); `rounds` shows every time with the CPU seconds of the
// reader's process (module loading included) and of kinesalite, and the reader's CPU µs per event over
// the timed part alone (`cpuUsPerEvent`: steadier than times on a loaded machine), and after its first
// fifth (`warmCpuUsPerEvent`: without start-up, see `warm`). Knobs: BENCH_PER_SHARD,
// BENCH_ROUNDS, BENCH_PREFETCH / BENCH_LIMIT (the source's prefetchRecords / maxRecordsPerCall), and
// BENCH_NODE_ARGS (extra node flags for the phases' children, e.g. `--cpu-prof --cpu-prof-dir=DIR`).
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import { openSource, openSqliteStore } from '../../dist/core/index.js';
import { createKinesisClient } from '../../dist/core/transports/kinesis/kinesis-client.js';
import {
  classifyAgent,
  phase,
  report,
  sampleEvent,
  seconds,
  succeededRuns,
  tempDir,
  timedAgentRun,
  warm,
} from '../support.js';

const SHARDS = 4;
const PER_SHARD = Number(process.env.BENCH_PER_SHARD ?? 25_000);
const EVENTS = SHARDS * PER_SHARD;
// `warmCpuUsPerEvent` counts the CPU after the first fifth of the events.
warm.from = EVENTS / 5;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STREAM = 'bench';

function client() {
  return createKinesisClient({ endpoint: process.env.BENCH_ENDPOINT, region: 'us-east-1' });
}

/** The raw loop's client: the SDK as it comes, over `createKinesisClient`'s HTTP settings. */
function rawClient() {
  if (process.env.BENCH_BASELINE === 'agentctl-client') return client();
  return new KinesisClient({
    endpoint: process.env.BENCH_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 5_000,
      requestTimeout: 10_000,
      socketTimeout: 10_000,
      throwOnRequestTimeout: true,
    }),
  });
}

/** Writes the events, exactly PER_SHARD to each shard (an explicit hash key at each shard's range start). */
async function prepare(kinesis) {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards;
  const encoder = new TextEncoder();
  const batches = [];
  for (let i = 0; i < EVENTS; i += 500) {
    const records = [];
    for (let j = i; j < Math.min(EVENTS, i + 500); j++) {
      const event = sampleEvent(j);
      records.push({
        PartitionKey: event.subject,
        ExplicitHashKey: shards[j % SHARDS].HashKeyRange.StartingHashKey,
        Data: encoder.encode(JSON.stringify(event)),
      });
    }
    batches.push(records);
  }
  // Four writers side by side; kinesalite keeps each shard's order by arrival.
  await Promise.all(
    [0, 1, 2, 3].map(async (w) => {
      for (let b = w; b < batches.length; b += 4) {
        const out = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: batches[b] }));
        if (out.FailedRecordCount > 0) throw new Error(`kinesalite refused ${out.FailedRecordCount} records`);
      }
    }),
  );
}

/** Baseline: the raw SDK loop described above (or the source alone: `sourceAlone`). */
async function baseline() {
  if (process.env.BENCH_BASELINE === 'source') return sourceAlone();
  const kinesis = rawClient();
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: STREAM }))).Shards;
  let count = 0;
  let bytes = 0;
  await Promise.all(
    shards.map(async (shard) => {
      let iterator = (
        await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: STREAM,
            ShardId: shard.ShardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      for (;;) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const records = page.Records ?? [];
        if (records.length === 0) break;
        count += records.length;
        warm.at(count);
        for (const r of records) bytes += r.Data.byteLength;
        iterator = page.NextShardIterator;
      }
    }),
  );
  const figures = readFigures(count, bytes, started, cpu0);
  kinesis.destroy();
  return figures;
}

/** BENCH_BASELINE=source: every shard read from TRIM_HORIZON by the pipeline's source, nothing processed. */
async function sourceAlone() {
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const source = await openSource(sourceUri(), { settings: { kinesis: sourceSettings() } });
  const shards = await source.connect();
  await source.assign(
    new Map((shards ?? (await source.partitions())).map((s) => [s.id, { kind: 'earliest' }])),
  );
  let count = 0;
  let bytes = 0;
  while (count < EVENTS) {
    const { messages } = await source.poll(500);
    count += messages.length;
    warm.at(count);
    for (const m of messages) bytes += m.payload.byteLength;
  }
  const figures = readFigures(count, bytes, started, cpu0);
  await source.close();
  return figures;
}

/** What a baseline read reports, taken as it ends (before its client is closed). */
function readFigures(count, bytes, started, cpu0) {
  const s = seconds(started);
  return {
    count,
    bytes,
    seconds: s,
    eventsPerSecond: count / s,
    cpuSeconds: cpuSeconds(),
    cpuUsPerEvent: cpuUsPer(count, cpu0),
    warmCpuUsPerEvent: warmUsPerEvent(count),
  };
}

function sourceUri() {
  return `kinesis://${STREAM}?region=us-east-1&endpoint=${encodeURIComponent(process.env.BENCH_ENDPOINT)}`;
}

/** The source's settings from BENCH_PREFETCH and BENCH_LIMIT. */
function sourceSettings() {
  return {
    ...(process.env.BENCH_PREFETCH ? { prefetchRecords: Number(process.env.BENCH_PREFETCH) } : {}),
    ...(process.env.BENCH_LIMIT ? { maxRecordsPerCall: Number(process.env.BENCH_LIMIT) } : {}),
  };
}

async function pipeline() {
  const store = await openSqliteStore({ path: process.env.BENCH_DB });
  const source = await openSource(sourceUri(), {
    store,
    group: 'bench',
    settings: { kinesis: sourceSettings() },
  });
  const agent = classifyAgent({
    store,
    source,
    consumer: { untilEmpty: true },
  });
  agent.telemetry.on('commit', () => warm.at(agent.stats.done));
  let warmCpuUsPerEvent;
  // Taken when `run` returns, as `timedAgentRun` takes `cpuUsPerEvent` (not after the store is closed).
  const run = async () => {
    const result = await agent.run();
    warmCpuUsPerEvent = warmUsPerEvent(result.read);
    return result;
  };
  const timed = await timedAgentRun(store, { run });
  return { ...timed, warmCpuUsPerEvent, cpuSeconds: cpuSeconds() };
}

/** CPU per event after the first fifth of the events (see `warm`), to 0.01 µs. */
function warmUsPerEvent(events) {
  const us = warm.usPerEvent(events);
  return us === undefined ? undefined : Math.round(us * 100) / 100;
}

/** The round of median time (the slower of the two middle ones for an even count). */
function medianRound(rounds) {
  const sorted = [...rounds].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor(sorted.length / 2)];
}

/** CPU µs of this process per event since `since` (the timed part only: no module loading). */
function cpuUsPer(events, since) {
  const { user, system } = process.cpuUsage(since);
  return events > 0 ? Math.round(((user + system) / events) * 100) / 100 : 0;
}

function cpuSeconds(since) {
  const { user, system } = process.cpuUsage(since);
  return Math.round((user + system) / 1e4) / 100;
}

/** Runs a phase of this file in a child process (asynchronously: kinesalite lives in this event loop). */
function child(name, env) {
  return new Promise((resolve, reject) => {
    const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const proc = spawn(process.execPath, ['--expose-gc', ...extra, fileURLToPath(import.meta.url), name], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    });
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
    });
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`phase ${name} failed (exit ${code})`));
      const lines = out.trim().split('\n');
      resolve(JSON.parse(lines[lines.length - 1]));
    });
  });
}

const phases = { baseline, pipeline };
if (phase()) {
  console.log(JSON.stringify(await phases[phase()]()));
} else {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 10 });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${server.address().port}`;
  process.env.BENCH_ENDPOINT = endpoint;
  const admin = client();
  const { CreateStreamCommand, DescribeStreamSummaryCommand } = await import('@aws-sdk/client-kinesis');
  await admin.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: SHARDS }));
  while (
    (await admin.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary
      .StreamStatus !== 'ACTIVE'
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const preparing = process.hrtime.bigint();
  await prepare(admin);
  const prepareSeconds = seconds(preparing);
  admin.destroy();

  const dir = tempDir('kinesis');
  const baselines = [];
  const pipelines = [];
  const measured = async (name, env) => {
    const cpu = process.cpuUsage();
    const result = await child(name, env);
    return { ...result, kinesaliteCpuSeconds: cpuSeconds(cpu) };
  };
  for (let round = 0; round < ROUNDS; round++) {
    baselines.push(await measured('baseline', { BENCH_ENDPOINT: endpoint }));
    // A fresh store each round: every round reads the whole stream from TRIM_HORIZON.
    pipelines.push(
      await measured('pipeline', { BENCH_ENDPOINT: endpoint, BENCH_DB: `${dir}/agent-${round}.db` }),
    );
  }
  server.close();

  const middle = medianRound(pipelines);
  const baselineMiddle = medianRound(baselines);
  const { summary, checkpoints, storedRuns } = middle;
  const stored = succeededRuns(storedRuns);
  if (
    baselines.some((b) => b.count !== EVENTS) ||
    summary.read !== EVENTS ||
    summary.runs.succeeded !== EVENTS ||
    stored !== EVENTS ||
    checkpoints.length !== SHARDS
  ) {
    console.error(
      `kinesis: expected ${EVENTS} events, runs and ${SHARDS} checkpoints; got baseline ${baselines.map((b) => b.count)}, ` +
        `${JSON.stringify(summary)}, stored ${stored}, ${checkpoints.length} checkpoints`,
    );
    process.exit(1);
  }
  report({
    scenario: 'kinesis',
    events: EVENTS,
    seconds: middle.seconds,
    baselineEventsPerSecond: baselineMiddle.eventsPerSecond,
    rssMb: middle.rssMb,
    runsRecorded: stored,
    commits: summary.commits,
    rounds: {
      pipeline: pipelines.map((p) => ({
        seconds: p.seconds,
        cpu: p.cpuSeconds,
        cpuUsPerEvent: p.cpuUsPerEvent,
        warmCpuUsPerEvent: p.warmCpuUsPerEvent,
        kinesaliteCpu: p.kinesaliteCpuSeconds,
      })),
      baseline: baselines.map((b) => ({
        seconds: b.seconds,
        cpu: b.cpuSeconds,
        cpuUsPerEvent: b.cpuUsPerEvent,
        warmCpuUsPerEvent: b.warmCpuUsPerEvent,
        kinesaliteCpu: b.kinesaliteCpuSeconds,
      })),
    },
    prepareSeconds,
    // Other work on the machine skews the pipeline (which keeps two cores busy with kinesalite) more than the
    // raw loop (about one): read the ratio with the load average next to it.
    loadAverage: Math.round(loadavg()[0] * 100) / 100,
    target: '>= 0.9 x raw SDK GetRecords loop',
  });
}
