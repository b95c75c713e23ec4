// Shared helpers of the benchmark scenarios.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, defineProcess, ProcessRegistry, RuleSet, rule } from '../dist/core/index.js';

/**
 * The CPU of a read past its start (`warmCpuUsPerEvent`): a reader's first events carry its fixed
 * start-up (module loading, JIT compilation of its code, connections, the agent's store writer thread) —
 * several µs per event over 100,000 events, more for the agent than for a raw loop. `at(count)`, called
 * as the reader counts what it handled, takes the process's CPU once, at the first count past `from`
 * (set by the scenario; until then never); `usPerEvent(events)` is then the CPU per event of the rest,
 * unrounded, or undefined. One per process: every phase of a scenario is a process of its own.
 */
export const warm = {
  from: Number.POSITIVE_INFINITY,
  cpu: undefined,
  count: 0,
  at(count) {
    if (count < this.from || this.cpu !== undefined) return;
    this.cpu = process.cpuUsage();
    this.count = count;
  },
  usPerEvent(events) {
    if (this.cpu === undefined || events <= this.count) return undefined;
    const { user, system } = process.cpuUsage(this.cpu);
    return (user + system) / (events - this.count);
  },
};

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `agentctl-bench-${prefix}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs the agent to its end, timed and with its peak RSS and RSS slope (see `withPeakRss`); then reads
 * what the store holds for the group `bench` (checkpoints, runs by state) and closes the store, unless
 * `keepOpen` (the caller closes it).
 */
export async function timedAgentRun(store, agent, { keepOpen = false } = {}) {
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const main0 = procCpu(`/proc/self/task/${process.pid}/stat`);
  const { result, rssMb, rssMbPerSecond } = await withPeakRss(() => agent.run());
  const s = seconds(started);
  const cpu = process.cpuUsage(cpu0);
  const main1 = procCpu(`/proc/self/task/${process.pid}/stat`);
  // The main thread's share alone (the pipeline's own work, without the store's writer thread).
  const mainCpuUsPerEvent =
    main0 !== undefined && main1 !== undefined && result.read > 0
      ? Math.round(((main1.ms - main0.ms) * 1000 * 100) / result.read) / 100
      : undefined;
  // CPU of the whole process (main thread and the store's writer thread) per event read: steadier than a
  // rate on a loaded machine.
  const cpuUsPerEvent = result.read > 0 ? Math.round(((cpu.user + cpu.system) / result.read) * 100) / 100 : 0;
  const checkpoints = await store.checkpoints.list({ group: 'bench' });
  const storedRuns = await store.runs.countByState('bench');
  if (!keepOpen) await store.close();
  const rssMbPerMillionEvents =
    result.read > 0 ? Math.round(rssMbPerSecond * (s / result.read) * 1e6 * 10) / 10 : 0;
  return {
    seconds: s,
    rssMb,
    rssMbPerMillionEvents,
    cpuUsPerEvent,
    mainCpuUsPerEvent,
    summary: result,
    checkpoints,
    storedRuns,
  };
}

/** How many runs the store holds as succeeded, from `countByState` rows. */
export function succeededRuns(storedRuns) {
  return storedRuns.reduce((n, row) => n + (row.state === 'succeeded' ? row.count : 0), 0);
}

/**
 * Samples RSS every 50 ms while `work` runs; returns its result, the peak in MB and the growth of RSS in
 * MB/s over the second half of the run (least squares; the first half is warm-up: caches, JIT, heap
 * sizing). At a steady event rate, a flat footprint has a slope near 0.
 */
export async function withPeakRss(work) {
  const t0 = performance.now();
  const samples = [];
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    samples.push([(performance.now() - t0) / 1000, rss / 1024 / 1024]);
    peak = Math.max(peak, rss);
  }, 50);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return {
      result,
      rssMb: Math.round(peak / 1024 / 1024),
      rssMbPerSecond: slope(samples.slice(Math.floor(samples.length / 2))),
    };
  } finally {
    clearInterval(timer);
  }
}

/** The least-squares slope of [x, y] points (0 for fewer than two). */
function slope(points) {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Rounds of each measured phase a scenario runs (`BENCH_ROUNDS`, default 3). */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

/**
 * Runs `phases` (each in a fresh child, see `inChildren`) `rounds` times, interleaved — baseline, pipeline,
 * baseline, pipeline, … — so that a change in the machine's load hits both sides alike; with `rotate` the
 * order turns by one place each round, so that no phase always runs right after another's. Returns each
 * phase's list of results, in round order; each child sees its round as `BENCH_ROUND`.
 */
export async function interleaved(file, phases, rounds = ROUNDS, env = {}, { rotate = false } = {}) {
  const results = Object.fromEntries(phases.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = rotate ? rotated(phases, round) : phases;
    const one = await inChildren(file, order, { ...env, BENCH_ROUND: String(round) });
    for (const name of phases) results[name].push(one[name]);
  }
  return results;
}

/** Rotates `items` by `round` places, so that no side always goes first on a warm or cold machine. */
export function rotated(items, round) {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** Milliseconds per clock tick of /proc's CPU times (`getconf CLK_TCK`; 100 ticks/s where it cannot say). */
const TICK_MS = (() => {
  try {
    return 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);
  } catch {
    return 10;
  }
})();

/**
 * CPU ms (user + system) a process or thread has used, from its /proc `stat` file (`/proc/PID/stat`,
 * `/proc/self/task/TID/stat`), with the command name it shows; undefined when it cannot be read (gone,
 * or no /proc).
 */
export function procCpu(statFile) {
  let stat;
  try {
    stat = readFileSync(statFile, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may hold spaces; utime and stime are the 12th and 13th fields
  // after it.
  const end = stat.lastIndexOf(')');
  const fields = stat.slice(end + 2).split(' ');
  return {
    command: stat.slice(stat.indexOf('(') + 1, end),
    ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
  };
}

export function seconds(startNs) {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/**
 * Prints the scenario's JSON line. `eventsPerSecond` is `events / seconds` unless given (a median over
 * `rounds`, say); `ratio` is it over `baselineEventsPerSecond` unless given (the median of the rounds'
 * ratios: each round's pipeline over the baseline run beside it).
 */
export function report(fields) {
  const { events, seconds: s, baselineEventsPerSecond } = fields;
  const eventsPerSecond = Math.round(fields.eventsPerSecond ?? events / s);
  console.log(
    JSON.stringify({
      ...fields,
      seconds: Math.round(s * 1000) / 1000,
      eventsPerSecond,
      baselineEventsPerSecond: Math.round(baselineEventsPerSecond),
      ratio: fields.ratio ?? Math.round((eventsPerSecond / baselineEventsPerSecond) * 1000) / 1000,
    }),
  );
}

/** The figures of one round for a scenario line's `rounds`: rates rounded, ratio to 3 decimals. */
export function roundFigures(eventsPerSecond, baselineEventsPerSecond, extra = {}) {
  return {
    eventsPerSecond: Math.round(eventsPerSecond),
    baselineEventsPerSecond: Math.round(baselineEventsPerSecond),
    ratio: Math.round((eventsPerSecond / baselineEventsPerSecond) * 1000) / 1000,
    ...extra,
  };
}

const TYPES = ['submission.created', 'submission.finalized', 'submission.withdrawn'];

/** A realistic CloudEvent of about 200 bytes. */
export function sampleEvent(i) {
  return {
    specversion: '1.0',
    id: `evt-${i}`,
    source: '/bench/submissions',
    type: TYPES[i % TYPES.length],
    time: new Date(1_795_000_000_000 + i).toISOString(),
    subject: `sub-${i % 5000}`,
    data: { submissionId: `sub-${i % 5000}`, pages: (i * 7) % 40, author: `author-${i % 977}` },
  };
}

/**
 * Runs `phases` of a scenario each in a fresh child process (the scenario file itself, with the phase
 * name as argument) and returns their JSON results by phase. Inside a child, `phase()` is the name.
 */
export async function inChildren(file, phases, env = {}) {
  const { spawnSync } = await import('node:child_process');
  const results = {};
  for (const name of phases) {
    // BENCH_NODE_ARGS: extra node flags for every phase (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
    const extra = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const run = spawnSync(process.execPath, ['--expose-gc', ...extra, file, name], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`phase ${name} failed (exit ${run.status})`);
    const lines = run.stdout.toString().trim().split('\n');
    results[name] = JSON.parse(lines[lines.length - 1]);
  }
  return results;
}

export function phase() {
  return process.argv[2];
}

/** Appends `count` sample events, keyed by subject, to a 4-partition topic of the store's local log. */
export async function fillBenchLog(store, topic, count) {
  await store.log.ensureTopic(topic, 4);
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i += 10_000) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 10_000); j++) {
      const event = sampleEvent(j);
      batch.push({ key: event.subject, value: encoder.encode(JSON.stringify(event)) });
    }
    await store.log.append(topic, batch);
  }
}

/**
 * The agent every pipeline scenario runs: each sample event matches one rule, which starts the one-step
 * `classify` process inline (one recorded run per event).
 */
export function classifyAgent({ store, source, consumer }) {
  return new Agent({
    name: 'bench',
    store,
    source,
    rules: new RuleSet([
      rule({ name: 'classify-new', on: 'submission.created', process: 'classify' }),
      rule({ name: 'check-final', on: 'submission.finalized', process: 'classify' }),
      rule({ name: 'note-withdrawal', on: 'submission.withdrawn', process: 'classify' }),
    ]),
    processes: new ProcessRegistry([
      defineProcess({
        name: 'classify',
        steps: [{ name: 'score', run: ({ event }) => (event.data.pages > 20 ? 'long' : 'short') }],
      }),
    ]),
    consumer,
  });
}
