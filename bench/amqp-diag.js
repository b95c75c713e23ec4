// What bounds a queue reader's rate on a machine it shares with the broker: the broker's CPU over a
// phase (every side), and for the agent (BENCH_AMQP_DIAG=1) its main thread's event-loop utilisation,
// the CPU of each of its threads, how its polls found the inbox, the unacked count over time, and the
// acks it sent. Diagnostics only: the figures of the scenario do not depend on them.
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { procCpu } from './support.js';

/** utime + stime of a process or thread, in µs (see `procCpu`); undefined when it cannot be read. */
function statCpu(path) {
  const cpu = procCpu(path);
  return cpu === undefined ? undefined : cpu.ms * 1000;
}

let beamPid;
/** The RabbitMQ node's process (beam.smp), found once. */
function beam() {
  if (beamPid !== undefined) return beamPid;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'beam.smp') {
        beamPid = pid;
        return pid;
      }
    } catch {}
  }
  beamPid = null;
  return null;
}

/** The broker's CPU so far (µs), or undefined when it is not a local process. */
export function brokerCpu() {
  const pid = beam();
  return pid === null ? undefined : statCpu(`/proc/${pid}/stat`);
}

/** A thread's context switches so far: it gave up the CPU (`voluntary`) or was preempted (`preempted`). */
function switches(tid) {
  try {
    const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
    const count = (name) => Number(status.match(new RegExp(`^${name}:\\s*(\\d+)`, 'm'))?.[1] ?? 0);
    return { voluntary: count('voluntary_ctxt_switches'), preempted: count('nonvoluntary_ctxt_switches') };
  } catch {
    return { voluntary: 0, preempted: 0 };
  }
}

/** CPU per thread of this process (µs) and its context switches, by thread id, with the thread's name. */
function threads() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    const cpu = statCpu(`/proc/self/task/${tid}/stat`);
    let comm = '?';
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {}
    if (cpu !== undefined) out.set(tid, { comm, cpu, ...switches(tid) });
  }
  return out;
}

/**
 * Watches the agent's queue source while `work` runs (BENCH_AMQP_DIAG=1), samples every 10 ms; returns
 * the work's result with a `diag` object.
 */
export async function diagnosed(source, events, work) {
  if (process.env.BENCH_AMQP_DIAG !== '1') return work();
  const prefetch = source.inFlightLimit;
  const polls = { n: 0, empty: 0, messages: 0, emptyInboxWithCredit: 0, emptyInboxNoCredit: 0, waitMs: 0 };
  const poll = source.poll.bind(source);
  source.poll = async (max, signal) => {
    polls.n++;
    if (source.inbox?.size === 0) {
      if (source.unacked.unacked < prefetch) polls.emptyInboxWithCredit++;
      else polls.emptyInboxNoCredit++;
    }
    const t = performance.now();
    const fetch = await poll(max, signal);
    polls.waitMs += performance.now() - t;
    if (fetch.messages.length === 0) polls.empty++;
    polls.messages += fetch.messages.length;
    return fetch;
  };
  const acks = { frames: 0, multiple: 0, settles: 0, positions: 0 };
  const ackQuietly = source.ackQuietly?.bind(source);
  if (ackQuietly)
    source.ackQuietly = (channel, tag, multiple) => {
      acks.frames++;
      if (multiple) acks.multiple++;
      return ackQuietly(channel, tag, multiple);
    };
  const settle = source.settle.bind(source);
  source.settle = (done) => {
    acks.settles++;
    for (const list of done.values()) acks.positions += list.length;
    return settle(done);
  };
  // When the first and the last delivery came, from the start of the run (start-up and tail of the run).
  const t0 = performance.now();
  const deliveries = { first: undefined, last: undefined };
  const deliver = source.deliver?.bind(source);
  if (deliver)
    source.deliver = (message, generation) => {
      deliveries.last = performance.now() - t0;
      deliveries.first ??= deliveries.last;
      return deliver(message, generation);
    };
  // Polls that asked the broker whether the queue is empty (`atHead` past its local checks).
  let headChecks = 0;
  const atHead = source.atHead?.bind(source);
  if (atHead)
    source.atHead = () => {
      if (source.unacked.unacked === 0) headChecks++;
      return atHead();
    };
  const unackedHist = new Array(11).fill(0);
  let inboxSum = 0;
  let unackedSum = 0;
  let samples = 0;
  let inboxEmpty = 0;
  const timer = setInterval(() => {
    if (source.inbox === undefined) return;
    attach();
    const u = source.unacked.unacked;
    unackedHist[Math.min(10, Math.floor((u / prefetch) * 10))]++;
    unackedSum += u;
    inboxSum += source.inbox.size;
    if (source.inbox.size === 0) inboxEmpty++;
    samples++;
  }, 10);
  // The socket's 'readable' events: how many reads amqplib's frame loop runs, and bytes per read.
  // Attached at the first sample after the agent connected.
  let socket;
  const reads = { n: 0, bytes0: 0 };
  const onReadable = () => reads.n++;
  const attach = () => {
    if (socket !== undefined) return;
    socket = source.connection?.channelModel?.connection?.stream;
    if (socket === undefined) return;
    reads.bytes0 = socket.bytesRead;
    socket.on('readable', onReadable);
  };
  const elu0 = performance.eventLoopUtilization();
  const threads0 = threads();
  const broker0 = brokerCpu();
  const cpu0 = process.cpuUsage();
  const result = await work();
  const cpu = process.cpuUsage(cpu0);
  const endMs = performance.now() - t0;
  const broker1 = brokerCpu();
  const threads1 = threads();
  const elu = performance.eventLoopUtilization(elu0);
  clearInterval(timer);
  socket?.off('readable', onReadable);
  const perThread = [];
  for (const [tid, { comm, cpu: c, voluntary, preempted }] of threads1) {
    const before = threads0.get(tid) ?? { cpu: 0, voluntary: 0, preempted: 0 };
    const d = c - before.cpu;
    // Switches per 1,000 events: a thread preempted more often finds its caches colder when it resumes.
    const per1000 = (n) => Math.round((n / events) * 10_000) / 10;
    if (d > 20_000)
      perThread.push({
        tid,
        comm,
        usPerEvent: Math.round((d / events) * 10) / 10,
        voluntaryPer1000: per1000(voluntary - before.voluntary),
        preemptedPer1000: per1000(preempted - before.preempted),
      });
  }
  perThread.sort((a, b) => b.usPerEvent - a.usPerEvent);
  const r = (x) => Math.round(x * 1000) / 1000;
  return {
    ...result,
    diag: {
      elu: r(elu.utilization),
      processUsPerEvent: Math.round(((cpu.user + cpu.system) / events) * 10) / 10,
      threads: perThread,
      brokerUsPerEvent:
        broker0 === undefined ? undefined : Math.round(((broker1 - broker0) / events) * 10) / 10,
      polls: { ...polls, waitMs: Math.round(polls.waitMs), perPoll: r(polls.messages / polls.n) },
      acks: {
        ...acks,
        positionsPerSettle: r(acks.positions / acks.settles),
        eventsPerFrame: r(events / acks.frames),
      },
      headChecks,
      ms: {
        firstDelivery: Math.round(deliveries.first),
        lastDelivery: Math.round(deliveries.last),
        end: Math.round(endMs),
      },
      reads: socket
        ? { n: reads.n, bytesPerRead: Math.round((socket.bytesRead - reads.bytes0) / reads.n) }
        : undefined,
      unackedMean: Math.round(unackedSum / samples),
      unackedDeciles: unackedHist.map((x) => r(x / samples)),
      inboxMean: Math.round(inboxSum / samples),
      inboxEmptyShare: r(inboxEmpty / samples),
    },
  };
}
