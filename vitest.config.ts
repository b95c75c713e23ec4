import { defineConfig } from 'vitest/config';

/**
 * Three groups, run one after the other.
 * - `in-process`: tests that call the engine in this process (and the crash tests, whose children are
 *   killed, not timed) — two workers, one per core.
 * - `cli-parallel`: tests that spawn bin/run.js but bound nothing in time, send no signal and stop no
 *   broker (errors, flags, settings, the read commands, store commands, README coverage) — two workers;
 *   each names its own temp directory, queue and PostgreSQL schema, so two can run side by side.
 * - `cli`: tests that spawn agents, brokers and terminals and bound what they see in time, signal
 *   children or stop the broker — one worker, so that a timing is never measured while another test
 *   file competes for the same two cores.
 */
const inProcess = [
  'test/core/**/*.test.ts',
  'test/simulation/**/*.test.ts',
  'test/ui/**/*.test.tsx',
  'test/ui/text/**/*.test.ts',
  'test/ui/{printable,help-lines,console-format}.test.ts',
  'test/architecture.test.ts',
];

const cliParallel = [
  'test/cli/{confirm,did-you-mean,env-names,errors-cli,exit-codes,flag-env,settings,writing-commands}.test.ts',
  'test/commands/{context,credentials,delivery,describe,doctor,failed-control-chars,failed,file-modes}.test.ts',
  'test/commands/{peek,publish,replay,rules,runs}.test.ts',
  'test/commands/{failed-edit,checkpoint-plan,failed-search,failed-search-large,replay-to-origin}.test.ts',
  'test/commands/store/{copy,migrate,prune}.test.ts',
  'test/e2e/{describe,local-store,readme-coverage,search,checkpoint-plans}.test.ts',
  'test/amqp/{peek-cli,publish-cli,replay-sink-cli}.test.ts',
  'test/kinesis/doctor-kinesis.test.ts',
];

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'in-process', include: inProcess, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'cli-parallel', include: cliParallel, maxWorkers: 2, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [...inProcess, ...cliParallel, '**/node_modules/**'],
          maxWorkers: 1,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
