#!/usr/bin/env node
// The example end to end on the embedded default (no broker, no cloud account): publish the sample
// events, consume them, look at what failed, fix the cause, replay. Run from the repository root with
// `npm run demo` (after `npm ci`), or from this directory with `node demo.mjs`.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'bin', 'run.js');

/** Runs one agentctl command as a user would; `replay --failed` exits 3 when items fail again (expected here). */
function agentctl(...args) {
  console.log(`\n$ agentctl ${args.join(' ')}`);
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: here, stdio: 'inherit' });
  const expected = args[0] === 'replay' ? [0, 3] : [0];
  if (!expected.includes(run.status)) {
    console.error(`agentctl ${args[0]} exited with ${run.status}`);
    process.exit(run.status ?? 1);
  }
}

rmSync(join(here, '.agentctl'), { recursive: true, force: true });
console.log('# The mail server is "down": notify-authors will fail until we bring it back.');
writeFileSync(join(here, 'mail-server.down'), 'remove me to bring the mail server back\n');

agentctl('publish', '--file', 'events.ndjson', '--raw');
agentctl('consume', '--until-empty');
agentctl('status');
agentctl('failed', 'list');

console.log('\n# Bring the mail server back and replay what failed.');
rmSync(join(here, 'mail-server.down'), { force: true });
agentctl('replay', '--failed', '--reason', 'process', '--yes');
agentctl('failed', 'list');
console.log(
  '\n# Still parked: the event that is not JSON (decode) and the submission without a title (fatal).',
);
console.log('# Inspect one with `agentctl failed show ID`, drop it with `agentctl failed discard ID`.');
