// Attribution of PostgreSQL server CPU to the statements of a bench phase: load it into the phase's
// process (`BENCH_NODE_ARGS="--import ./bench/pg-statement-cpu.js"`, or `node --import` on a scenario run
// with a phase name). Each statement the `pg` driver sends is timed on its own backend (the backend's
// on-CPU ns from /proc/PID/schedstat, before it is sent and when its result arrives: a connection runs
// one statement at a time) and summed by prepared name (else the first 60 characters of its text). At
// exit, stderr gets one JSON line: the top statements as [name, count, server ms, ms each], and the CPU
// ms of the server's background processes (WAL writer, checkpointer, …) over the run. Linux only; the
// server must run on this host. Reading /proc per statement costs the agent a few µs: for attribution,
// not for the bench's figures.
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';

const byStatement = new Map();

function onCpuNs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** On-CPU ns of the server's processes that serve no client connection, by their title. */
function background() {
  const ns = {};
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let title;
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (title.startsWith('postgres:') && !/\d+\.\d+\.\d+\.\d+|\[local\]/.test(title))
      ns[title] = onCpuNs(pid);
  }
  return ns;
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const key = typeof config === 'string' ? config.slice(0, 60) : (config.name ?? config.text?.slice(0, 60));
  const pid = this.processID;
  const before = pid ? onCpuNs(pid) : 0;
  const done = () => {
    const sum = byStatement.get(key) ?? { n: 0, ns: 0 };
    sum.n += 1;
    sum.ns += pid ? onCpuNs(pid) - before : 0;
    byStatement.set(key, sum);
  };
  let cb = callback;
  let vals = values;
  if (typeof vals === 'function') {
    cb = vals;
    vals = undefined;
  }
  if (typeof cb === 'function') {
    const settle = cb;
    cb = (error, result) => {
      done();
      settle(error, result);
    };
  }
  const result = query.call(this, config, vals, cb);
  if (typeof cb !== 'function' && typeof result?.then === 'function') result.then(done, done);
  return result;
};

const start = background();
process.on('exit', () => {
  const end = background();
  const statements = [...byStatement]
    .sort((a, b) => b[1].ns - a[1].ns)
    .slice(0, 12)
    .map(([key, s]) => [key, s.n, Math.round(s.ns / 1e6), Math.round(s.ns / s.n / 1e3) / 1e3]);
  const server = Object.fromEntries(
    Object.keys(end).map((title) => [title, Math.round((end[title] - (start[title] ?? 0)) / 1e6)]),
  );
  console.error(JSON.stringify({ statements, background: server }));
});
