/**
 * The simulation's command line.
 *   npm run sim -- --seed N            one scenario, with a trace of what happened
 *   npm run sim -- --seeds N [--from F] N scenarios (seeds F … F+N-1, default from 1)
 *   --kind K     every scenario of kind K: groups, duplicates, rebalance, crash, chaos
 *   --mutate M   break the store on purpose to see the checks fire: unfenced, rewind, lose-parks,
 *                double-park, forget-runs
 *   --verbose    every scenario's description and trace, not only the failing ones' lines
 * Every failing seed prints one line ending with the command that reproduces it; exit code 1 if any failed.
 */
import { parseArgs } from 'node:util';
import { runSeeds } from './run-seeds.js';
import { KINDS, type Kind } from './scenario.js';
import { MUTATIONS, type Mutation } from './sim-store.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    seeds: { type: 'string' },
    from: { type: 'string' },
    kind: { type: 'string' },
    mutate: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
  },
});
const kind = values.kind as Kind | undefined;
if (kind !== undefined && !KINDS.includes(kind)) {
  console.error(`unknown kind "${kind}": use one of ${KINDS.join(', ')}`);
  process.exit(2);
}
const mutation = values.mutate as Mutation | undefined;
if (mutation !== undefined && !MUTATIONS.includes(mutation)) {
  console.error(`unknown mutation "${mutation}": use one of ${MUTATIONS.join(', ')}`);
  process.exit(2);
}
const single = values.seed !== undefined;
const from = Number(values.seed ?? values.from ?? 1);
const count = single ? 1 : Number(values.seeds ?? 100);
if (!Number.isInteger(from) || !Number.isInteger(count) || count < 1) {
  console.error('--seed, --seeds and --from take whole numbers (--seeds at least 1)');
  process.exit(2);
}
const summary = await runSeeds({
  from,
  count,
  ...(kind ? { kind } : {}),
  ...(mutation ? { mutation } : {}),
  verbose: single || values.verbose === true,
  trace: single || values.verbose === true,
  print: (line) => console.log(line),
});
process.exit(summary.failed.length > 0 ? 1 : 0);
