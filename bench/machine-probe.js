// How fast the machine runs a fixed piece of work while a phase runs: a separate process that, every
// 100 ms, parses and serialises one ~400-byte CloudEvent 300 times and takes the CPU time that took
// (~1 ms: ~1 % of one core). On this shared 2-core VM the CPU time of the same work varies by up to
// 1.6x from one minute to the next (other tenants, host contention charged as our CPU time), and a
// reader's CPU per event follows it: a round whose reader spends more CPU per event for the same work
// (same polls, acks, scavenges, deoptimisations) is a slower machine, not a slower reader. Diagnostics
// only: started by `measured` (amqp-support.js) with BENCH_AMQP_DIAG=1, outside the measured process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The fixed work: the same for every sample. */
function reference(body) {
  let n = 0;
  for (let i = 0; i < 300; i++) n += JSON.stringify(JSON.parse(body)).length;
  return n;
}

/** The probe process: samples until SIGTERM, then prints the median and quartiles (µs of CPU). */
function probe() {
  const body = JSON.stringify({
    specversion: '1.0',
    id: 'evt-1',
    source: 'urn:bench',
    type: 'submission.created',
    subject: 'submission-1',
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: {
      title: 'On the throughput of event agents, part 3',
      abstract: 'We measure queue consumers that record a run per event and ack each message once done.',
      tags: ['streams', 'queues'],
    },
  });
  for (let i = 0; i < 200; i++) reference(body); // compiled before the first sample
  const samples = [];
  let sink = 0;
  const timer = setInterval(() => {
    const cpu = process.cpuUsage();
    sink += reference(body);
    const used = process.cpuUsage(cpu);
    samples.push(used.user + used.system);
  }, 100);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    const s = samples.sort((a, b) => a - b);
    const at = (q) => s[Math.floor(q * (s.length - 1))];
    console.log(JSON.stringify({ samples: s.length, p25: at(0.25), median: at(0.5), p75: at(0.75), sink }));
    process.exit(0);
  });
}

/**
 * Starts the probe; `stop()` ends it and resolves to its figures (`median`: µs of CPU of the fixed work),
 * or undefined when it gave none (a phase shorter than one sample).
 */
export function startMachineProbe() {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'probe'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const ended = new Promise((resolve) => child.on('close', resolve));
  return {
    async stop() {
      child.kill('SIGTERM');
      await ended;
      try {
        const { sink: _, ...figures } = JSON.parse(out);
        return figures.samples > 0 ? figures : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

if (process.argv[2] === 'probe' && process.argv[1] === fileURLToPath(import.meta.url)) probe();
