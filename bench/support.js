// Shared helpers of the benchmark scenarios.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, defineProcess, ProcessRegistry, RuleSet, rule } from '../dist/core/index.js';

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `agentctl-bench-${prefix}-`));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs the agent to its end, timed and with its peak RSS; then reads what the store holds for the group
 * `bench` (checkpoints, runs by state) and closes the store.
 */
export async function timedAgentRun(store, agent) {
  const started = process.hrtime.bigint();
  const { result, rssMb } = await withPeakRss(() => agent.run());
  const s = seconds(started);
  const checkpoints = await store.checkpoints.list({ group: 'bench' });
  const storedRuns = await store.runs.countByState('bench');
  await store.close();
  return { seconds: s, rssMb, summary: result, checkpoints, storedRuns };
}

/** How many runs the store holds as succeeded, from `countByState` rows. */
export function succeededRuns(storedRuns) {
  return storedRuns.reduce((n, row) => n + (row.state === 'succeeded' ? row.count : 0), 0);
}

/** Samples RSS every 50 ms while `work` runs; returns its result and the peak in MB. */
export async function withPeakRss(work) {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssMb: Math.round(peak / 1024 / 1024) };
  } finally {
    clearInterval(timer);
  }
}

export function seconds(startNs) {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}

/** Prints the scenario's JSON line. */
export function report(fields) {
  const { events, seconds: s, baselineEventsPerSecond } = fields;
  const eventsPerSecond = Math.round(events / s);
  console.log(
    JSON.stringify({
      ...fields,
      seconds: Math.round(s * 1000) / 1000,
      eventsPerSecond,
      baselineEventsPerSecond: Math.round(baselineEventsPerSecond),
      ratio: Math.round((eventsPerSecond / baselineEventsPerSecond) * 1000) / 1000,
    }),
  );
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
    const run = spawnSync(process.execPath, ['--expose-gc', file, name], {
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
