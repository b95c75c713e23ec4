import { defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other. `in-process`: tests that call the engine in this process (and the
 * crash tests, whose children are killed, not timed) — two workers, one per core. `cli`: tests that spawn
 * bin/run.js, brokers and terminals and bound what they see in time — one worker, so that a timing is
 * never measured while another test file competes for the same two cores.
 */
const inProcess = [
  'test/core/**/*.test.ts',
  'test/simulation/**/*.test.ts',
  'test/ui/**/*.test.tsx',
  'test/ui/text/**/*.test.ts',
  'test/ui/printable.test.ts',
  'test/architecture.test.ts',
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
        test: {
          name: 'cli',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: [...inProcess, '**/node_modules/**'],
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
