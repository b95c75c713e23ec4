#!/usr/bin/env node
/**
 * Writes oclif.manifest.json from the built commands (run by `npm run build`, after tsc). With the
 * manifest, oclif loads only the command that runs; without it, every command module is imported at each
 * start to read its flags (~100 ms of CPU per `agentctl` process). It is generated, never edited or
 * committed: a stale manifest would describe flags the commands no longer have.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Plugin } from '@oclif/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest)}\n`);
