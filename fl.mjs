import { openSqliteStore, runIdOf } from './dist/core/index.js';

const store = await openSqliteStore({ path: '/work/main/fl.db' });
const N = 200000;
const mk = (i) => {
  const ev = { source: '/b', id: 'evt-' + i, time: new Date(1795000000000 + i).toISOString() };
  return {
    id: runIdOf(ev, 'r'),
    group: 'bench',
    eventId: ev.id,
    eventType: 't',
    rule: 'r',
    process: 'classify',
    state: 'succeeded',
    attempts: 1,
    steps: [
      {
        name: 'score',
        state: 'succeeded',
        attempts: 1,
        startedAt: 1,
        finishedAt: 2,
        history: [{ attempt: 1, startedAt: 1, durationMs: 0 }],
      },
    ],
    createdAt: 1,
    startedAt: 1,
    finishedAt: 2,
    runner: 'inline',
    worker: 'w',
    origin: { source: 'local:bench', partition: '0', position: String(i) },
    output: 'short',
    updatedAt: 2,
  };
};
const runs = Array.from({ length: N }, (_, i) => mk(i));
let s = process.hrtime.bigint();
for (let i = 0; i < N; i += 1000)
  await store.flush({ runs: runs.slice(i, i + 1000), efforts: [], parked: [] }, []);
console.log('flush', (Number(process.hrtime.bigint() - s) / 1e3 / N).toFixed(2), 'us/run');
s = process.hrtime.bigint();
for (let i = 0; i < N; i++) JSON.stringify(runs[i].steps);
console.log('steps json', (Number(process.hrtime.bigint() - s) / 1e3 / N).toFixed(2), 'us/run');
await store.close();
