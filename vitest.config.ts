import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/support/longest-first.js';

/**
 * Two groups, run one after the other.
 * - `in-process` and `cli-parallel` run together on three workers (two cores; most CLI tests wait on the
 *   processes they spawn more than they compute). `in-process` calls the engine in this process (and the
 *   crash tests, whose children are killed, not timed); `cli-parallel` spawns bin/run.js, agents, brokers'
 *   clients and terminals, bounding nothing tighter than a generous timeout. Each file names its own temp
 *   directory, queue, PostgreSQL schema, tmux socket and free ports, so files can run side by side.
 * - `cli`: the files that bound what they see in time (a resume within 5 s of a broker cut, a second signal
 *   ending the process within 3 s, a stall seen within stallAfterMs + 1 s, a timing ratio), whose outcome
 *   depends on when a signal lands, or that cut the broker's connections (their own, by name). They spend
 *   most of their time waiting on signals, leases, brokers and the clock: the whole group used under half
 *   a core on average when it ran one file at a time. Two workers, one file each, so that each file keeps
 *   about a core to itself, as it would alone.
 */
const inProcess = [
  'test/core/**/*.test.ts',
  'test/simulation/**/*.test.ts',
  'test/ui/**/*.test.tsx',
  'test/ui/text/**/*.test.ts',
  'test/ui/{printable,help-lines,console-format}.test.ts',
  'test/architecture.test.ts',
];

const serial = [
  'test/amqp/{broker-faults-cli,broker-outage-cli,redrive-cli}.test.ts',
  'test/cli/stop-signals.test.ts',
  'test/commands/{consume-rebalance,peek-large-log,replay-signals,restart-after-kill,stall}.test.ts',
  'test/fleet/fleet.test.ts',
  'test/kinesis/{checkpoint-plan-cli,shard-reader,subscription-reader}.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The longest files of a group start first, whatever their project (see test/support/longest-first.ts).
    sequence: { sequencer: LongestFirst },
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'in-process', include: inProcess, maxWorkers: 3, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'cli-parallel',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [...inProcess, ...serial, '**/node_modules/**'],
          maxWorkers: 3,
          // A worker runs file after file without importing vitest and the test helpers anew for each: these
          // files only spawn processes and name their own directories, queues and schemas, so nothing of one
          // file's module state reaches another's outcome. About 0.5 s of CPU less per file.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'cli', include: serial, maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
