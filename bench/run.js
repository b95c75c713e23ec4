#!/usr/bin/env node
// Runs benchmark scenarios, each in its own Node process so that RSS and JIT state do not leak between
// them, and prints one JSON line per scenario:
// {scenario, events, seconds, eventsPerSecond, baselineEventsPerSecond, ratio, rssMb, ...}.
// Usage: npm run bench [-- NAME...]   (names: see bench/scenarios/)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(join(here, 'scenarios'))
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.replace(/\.js$/, ''));
const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown scenario: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}
let failed = false;
for (const name of wanted.length > 0 ? wanted : available) {
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, 'scenarios', `${name}.js`)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (result.status !== 0) {
    console.error(`scenario ${name} failed (exit ${result.status})`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
