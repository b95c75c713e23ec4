// Scenario `amqp-example`: the example agent (examples/submission-agent: a pool runner of 8, steps that
// retry with 20–200 ms backoff, results published to the local log) consuming 20,000 events with
// `agentctl consume --until-empty`, once from the embedded local log and once from a durable quorum
// queue, in the same run, rounds interleaved (BENCH_ROUNDS, default 3). `ratio` is the quorum-queue time
// over the local-log time (lower is better; target <= 1.5); `rounds` lists each round's figures.
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AMQP_URL, declareQueues, drainCheck, fillQueues, median, rotated, spread } from '../amqp-support.js';
import { tempDir } from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'bin', 'run.js');
const example = join(here, '..', '..', 'examples', 'submission-agent');

/** `n` events of the example's domain (created, then finalized or withdrawn), as JSON lines. */
function exampleEvents(n) {
  const titles = [
    'Exactly-once delivery in event streams',
    'Neural ranking for reviewer matching',
    'On log compaction',
  ];
  const lines = [];
  for (let s = 1; lines.length < n; s++) {
    const submissionId = `sub-${s}`;
    const authors = [`author-${s % 13}@example.org`, `author-${(s * 7) % 23}@example.org`];
    const event = (type, data) =>
      JSON.stringify({
        specversion: '1.0',
        id: `evt-${lines.length + 1}`,
        source: '/submissions',
        type,
        time: new Date(Date.UTC(2026, 10, 24) + lines.length * 1_000).toISOString(),
        subject: submissionId,
        datacontenttype: 'application/json',
        data,
      });
    lines.push(
      event('submission.created', {
        submissionId,
        title: titles[s % 3],
        abstract: 'We study streams.',
        authors,
      }),
    );
    if (lines.length >= n) break;
    if (s % 5 === 0)
      lines.push(event('submission.withdrawn', { submissionId, reason: 'duplicate', authors }));
    else lines.push(event('submission.finalized', { submissionId, pages: 8 + (s % 20), authors }));
  }
  return lines;
}

function agentctl(dir, args) {
  const started = process.hrtime.bigint();
  // GNU time reports the command's peak RSS (KB) as the last line of stderr.
  const run = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, bin, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`agentctl ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  const rssMb = Math.round(Number(run.stderr.trim().split('\n').pop()) / 1024);
  return { seconds, stdout: run.stdout, rssMb };
}

/** A fresh copy of the example agent in a temp dir, with the events file. */
function exampleDir(lines) {
  const dir = tempDir('example');
  copyFileSync(join(example, 'agentctl.config.ts'), join(dir, 'agentctl.config.ts'));
  writeFileSync(join(dir, 'events.ndjson'), `${lines.join('\n')}\n`);
  return dir;
}

function processed(stdout) {
  const summary = JSON.parse(stdout.trim().split('\n').pop());
  return summary.read ?? summary.summary?.read;
}

async function local(lines) {
  const dir = exampleDir(lines);
  agentctl(dir, ['publish', '--file', 'events.ndjson', '--raw']);
  const { seconds, stdout, rssMb } = agentctl(dir, ['consume', '--until-empty', '--json']);
  return { seconds, read: processed(stdout), rssMb };
}

async function quorum(lines, round) {
  const dir = exampleDir(lines);
  const queue = `agentctl-bench-example-${process.pid}-${round}`;
  await declareQueues([queue], 'quorum');
  await fillQueues(
    [queue],
    lines.map((line) => Buffer.from(line)),
  );
  const source = `${AMQP_URL}?queue=${queue}&type=quorum`;
  const { seconds, stdout, rssMb } = agentctl(dir, [
    'consume',
    '--until-empty',
    '--json',
    '--source',
    source,
  ]);
  const left = (await drainCheck([queue]))[queue];
  return { seconds, read: processed(stdout), left, rssMb };
}

const lines = exampleEvents(EVENTS);
const rounds = [];
for (let r = 0; r < ROUNDS; r++) {
  const figures = {};
  for (const side of rotated(['local', 'quorum'], r)) {
    figures[side] = side === 'local' ? await local(lines) : await quorum(lines, r);
  }
  if (figures.quorum.left !== 0) {
    console.error(`amqp-example round ${r + 1}: ${figures.quorum.left} events left in the queue`);
    process.exit(1);
  }
  rounds.push({
    localSeconds: Math.round(figures.local.seconds * 1000) / 1000,
    quorumSeconds: Math.round(figures.quorum.seconds * 1000) / 1000,
    localRead: figures.local.read,
    quorumRead: figures.quorum.read,
    rssMb: figures.quorum.rssMb,
    localRssMb: figures.local.rssMb,
  });
}
const quorumSeconds = median(rounds.map((x) => x.quorumSeconds));
const localSeconds = median(rounds.map((x) => x.localSeconds));
console.log(
  JSON.stringify({
    scenario: 'amqp-example',
    events: EVENTS,
    seconds: quorumSeconds,
    eventsPerSecond: Math.round(EVENTS / quorumSeconds),
    baselineEventsPerSecond: Math.round(EVENTS / localSeconds),
    localSeconds,
    ratio: Math.round((quorumSeconds / localSeconds) * 1000) / 1000,
    spread: spread(rounds.map((x) => x.quorumSeconds)),
    rssMb: Math.max(...rounds.map((x) => x.rssMb)),
    rounds,
    target: 'quorum-queue time <= 1.5 x local-log time (ratio, medians)',
  }),
);
