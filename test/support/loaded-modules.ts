import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { agentctl, type CliResult } from './cli.js';

/**
 * Runs the real CLI in `dir` and lists every module it resolved, in order: ESM through a module hook,
 * CommonJS through the resolver (set up by NODE_OPTIONS; the hook files are written into `dir`).
 */
export function loadedBy(
  args: readonly string[],
  dir: string,
): { readonly run: CliResult; readonly urls: readonly string[] } {
  const log = join(dir, 'resolved.log');
  const hook = join(dir, 'hook.mjs');
  writeFileSync(
    hook,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.RESOLVED_LOG, resolved.url + '\\n');
  return resolved;
}\n`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(
    register,
    [
      `import { appendFileSync } from 'node:fs';`,
      `import Module, { register } from 'node:module';`,
      `register(${JSON.stringify(pathToFileURL(hook).href)});`,
      // CommonJS (oclif and what it requires) is resolved on this thread, past the hook above.
      'const resolveFilename = Module._resolveFilename;',
      'Module._resolveFilename = function (...args) {',
      '  const file = resolveFilename.apply(this, args);',
      `  appendFileSync(process.env.RESOLVED_LOG, file + '\\n');`,
      '  return file;',
      '};',
      '',
    ].join('\n'),
  );
  writeFileSync(log, '');
  const run = agentctl(args, {
    cwd: dir,
    env: { NODE_OPTIONS: `--import ${pathToFileURL(register).href}`, RESOLVED_LOG: log },
  });
  return { run, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/** The modules of the transports' drivers (RabbitMQ, AWS, PostgreSQL) among `urls`. */
export function transportDrivers(urls: readonly string[]): string[] {
  return urls.filter((u) => /\/node_modules\/(amqplib|@aws-sdk|@smithy|pg|pg-[a-z-]+)\//.test(u));
}
