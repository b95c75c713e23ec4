// Scenario `queue-fake`: the `amqp` scenario's agent pipeline (decode → evaluate-rules → inline process →
// run recorded → settled) over an in-memory queue that behaves as `AmqpQueueSource` does towards the
// processor — it settles each message, holds `BENCH_PREFETCH` (default 500) unacked at most, hands out a
// quarter of that per poll and gives the event loop a turn per poll — with no broker: the pipeline's own
// CPU per event on a queue, without amqplib's and without the broker's noise (it shares the machine's
// cores). The same ~400-byte CloudEvents. BENCH_EVENTS (default 100,000) per round, BENCH_ROUNDS rounds
// (default 3), each in its own process; medians. `warmCpuUsPerEvent` leaves out the first fifth of the
// events, which carries the start-up cost (JIT compilation, the store's writer thread): compare it with
// `amqp`'s figure of the same name, and `cpuUsPerEvent` with `local` at the same BENCH_EVENTS only.
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../dist/core/index.js';
import { diagnosed } from '../amqp-diag.js';
import { cloudEvent400, measured, median } from '../amqp-support.js';
import {
  classifyAgent,
  interleaved,
  phase,
  report,
  succeededRuns,
  tempDir,
  timedAgentRun,
  warm,
} from '../support.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 500);

/** A queue of `bodies` as the processor sees `AmqpQueueSource`: one partition, settled message by message. */
class FakeQueue {
  id = 'fake';
  uri = 'fake://queue';
  coordination = 'broker';
  checkpointing = 'broker';
  settlement = 'each';
  inFlightLimit = PREFETCH;
  handOut = Math.ceil(PREFETCH / 4);
  next = 0;
  unacked = new Set();

  constructor(bodies) {
    this.bodies = bodies;
  }

  async connect() {}
  async partitions() {
    return [{ id: 'queue' }];
  }
  async assign() {}
  async revoke() {}
  async poll(max) {
    await new Promise((resolve) => setImmediate(resolve));
    const n = Math.min(max, this.handOut, PREFETCH - this.unacked.size, this.bodies.length - this.next);
    if (n <= 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return {
        messages: [],
        ended: [],
        caughtUp: this.next === this.bodies.length && this.unacked.size === 0,
      };
    }
    const messages = new Array(n);
    for (let i = 0; i < n; i++) {
      const tag = ++this.next;
      const body = this.bodies[tag - 1];
      const position = `1:${tag}`;
      this.unacked.add(position);
      const attributes = { routingKey: 'queue', deliveryCount: 1, messageId: `evt-${tag - 1}` };
      messages[i] = {
        partition: 'queue',
        position,
        payload: body,
        raw: body,
        timestamp: Date.now(),
        attributes,
      };
    }
    return { messages, ended: [], caughtUp: false };
  }
  async commit() {}
  async settle(done) {
    for (const positions of done.values()) for (const position of positions) this.unacked.delete(position);
  }
  pause() {}
  resume() {}
  async describe() {
    return [{ partition: 'queue', state: 'reading' }];
  }
  compare(a, b) {
    return Number(a.slice(2)) - Number(b.slice(2));
  }
  async close() {}
}

async function pipeline() {
  const bodies = Array.from({ length: EVENTS }, (_, i) => Buffer.from(JSON.stringify(cloudEvent400(i))));
  const store = await openSqliteStore({ path: `${process.env.BENCH_DB}.${process.env.BENCH_ROUND}` });
  const queue = new FakeQueue(bodies);
  const agent = classifyAgent({ store, source: queue, consumer: { untilEmpty: true } });
  agent.telemetry.on('commit', () => warm.at(agent.stats.done));
  return measured(EVENTS, () => diagnosed(queue, EVENTS, () => timedAgentRun(store, agent)));
}

if (phase()) {
  console.log(JSON.stringify(await pipeline()));
} else {
  const dir = tempDir('queue-fake');
  const { pipeline: rounds } = await interleaved(fileURLToPath(import.meta.url), ['pipeline'], undefined, {
    BENCH_DB: `${dir}/agent.db`,
  });
  for (const r of rounds) {
    if (r.summary.read !== EVENTS || succeededRuns(r.storedRuns) !== EVENTS) {
      console.error(`queue-fake: expected ${EVENTS} events and runs, got ${JSON.stringify(r.summary)}`);
      process.exit(1);
    }
  }
  const rate = median(rounds.map((r) => r.eventsPerSecond));
  report({
    scenario: 'queue-fake',
    events: EVENTS,
    seconds: EVENTS / rate,
    eventsPerSecond: rate,
    cpuUsPerEvent: median(rounds.map((r) => r.cpuUsPerEvent)),
    warmCpuUsPerEvent: median(rounds.map((r) => r.warmCpuUsPerEvent)),
    rssMb: Math.max(...rounds.map((r) => r.rssMb)),
    prefetch: PREFETCH,
    rounds: rounds.map((r) => ({
      eventsPerSecond: Math.round(r.eventsPerSecond),
      cpuUsPerEvent: r.cpuUsPerEvent,
      warmCpuUsPerEvent: r.warmCpuUsPerEvent,
      commits: r.summary.commits,
      ...(r.machineUs === undefined ? {} : { machineUs: r.machineUs }),
      ...(r.diag ? { diag: r.diag } : {}),
    })),
    ratio: null,
    target: 'none: a diagnostic (the pipeline on a queue without the broker)',
  });
}
