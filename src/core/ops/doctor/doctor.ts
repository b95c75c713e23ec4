import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AgentConfig } from '../../config/agent-config.js';
import { resolveSettings } from '../../config/build-agent.js';
import { redactSecrets } from '../../redact.js';
import { parseSourceUri } from '../../sources/source-uri.js';
import { openStore, sqliteStoreFile } from '../../store/open-store.js';
import type { StateStore } from '../../store/state-store.js';
import { DEFAULT_AMQP_URL } from '../../transports/amqp/amqp-uri.js';
import { CHECK_TIMEOUT_MS, type DoctorCheck, reasonOf, withDeadline } from './doctor-check.js';
import { reachAmqp } from './reach-amqp.js';

/** What doctor looks at: the config as resolved (context applied), and what flags gave over it. */
export interface DoctorInput {
  readonly config: AgentConfig;
  /** Directory the config's relative paths are resolved against. */
  readonly configDir: string;
  /** The config file, or undefined for the defaults. */
  readonly configPath: string | undefined;
  /** Why the config (or the context's settings) could not be loaded: defaults are checked instead. */
  readonly configError?: { readonly message: string; readonly hint?: string };
  readonly overrides: { readonly source?: string; readonly db?: string; readonly sink?: string };
  /** Largest clock difference with PostgreSQL that passes, in ms (default 1000). */
  readonly maxSkewMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

/**
 * `agentctl doctor`: every check it can make, in order, each with ✓/✗ and a fix. Only looks: the store
 * is opened read-only (a missing SQLite file is not created), sources and sinks are connected to and
 * asked passively, nothing is declared, consumed or written.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [configCheck(input)];
  const { config, overrides } = input;
  const resolved = resolveSettings(config, {
    ...(overrides.source === undefined ? {} : { source: overrides.source }),
    ...(overrides.db === undefined ? {} : { store: overrides.db }),
    ...(overrides.sink === undefined ? {} : { sink: overrides.sink }),
  });
  const baseDir = overrides.db === undefined ? input.configDir : process.cwd();
  const store = await storeChecks(resolved.store, baseDir, checks);
  try {
    if (store?.kind === 'postgres') checks.push(await skewCheck(store, input));
    checks.push(...(await sourceChecks(resolved.source, config)));
    checks.push(...(await sinkChecks(resolved.sink, config, baseDir)));
    if (config.runner?.kind === 'queue')
      checks.push(...(await runnerChecks(config, input.env ?? process.env)));
  } finally {
    await store?.close().catch(() => undefined);
  }
  return checks;
}

function configCheck(input: DoctorInput): DoctorCheck {
  if (input.configError !== undefined) {
    return {
      name: 'config loads',
      ok: false,
      detail: `${input.configError.message} (the checks below use the defaults)`,
      fix: input.configError.hint ?? 'fix the config file',
    };
  }
  return {
    name: 'config loads',
    ok: true,
    detail:
      input.configPath === undefined
        ? `no config file: the defaults (agent "${input.config.name}", no rules)`
        : `${input.configPath}: agent "${input.config.name}", ${input.config.rules?.length ?? 0} rules, ${input.config.processes?.length ?? 0} processes`,
  };
}

/** The store opens (read-only) at the current schema; for SQLite, its directory takes writes. */
async function storeChecks(
  location: string,
  baseDir: string,
  checks: DoctorCheck[],
): Promise<StateStore | undefined> {
  const file = sqliteStoreFile(location, baseDir);
  const shown = file ?? redactSecrets(location);
  if (file !== undefined) checks.push(writableCheck(file));
  if (file !== undefined && !existsSync(file)) {
    const { SCHEMA_VERSION } = await import('../../store/sqlite/migrations.js');
    checks.push({
      name: 'store opens',
      ok: true,
      detail: `${file} does not exist yet: agentctl consume or publish creates it (schema version ${SCHEMA_VERSION})`,
    });
    return undefined;
  }
  try {
    const store = await withDeadline(
      openStore(location, { baseDir, readonly: true }),
      CHECK_TIMEOUT_MS * 2,
      `open ${shown}`,
      (late) => void late.close(),
    );
    const version =
      store.kind === 'postgres'
        ? (await import('../../store/postgres/pg-migrations.js')).PG_SCHEMA_VERSION
        : (await import('../../store/sqlite/migrations.js')).SCHEMA_VERSION;
    checks.push({
      name: 'store opens',
      ok: true,
      detail: `${store.kind} ${shown}: schema version ${version}, no migration pending`,
    });
    return store;
  } catch (error) {
    const text = redactSecrets(reasonOf(error));
    const hint = (error as { hint?: string }).hint;
    checks.push({
      name: 'store opens',
      ok: false,
      detail: /older than this agentctl/.test(text) ? `${text}: migrations pending` : text,
      fix: hint ?? 'check --db (or the context’s or config’s store) and that the database answers',
    });
    return undefined;
  }
}

/** The nearest existing directory on the way to `file` lets this user create and write files. */
function writableCheck(file: string): DoctorCheck {
  let dir = dirname(file);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return { name: 'store directory writable', ok: true, detail: dir };
  } catch (error) {
    return {
      name: 'store directory writable',
      ok: false,
      detail: `${dir}: ${reasonOf(error)}`,
      fix: `give this user write permission on ${dir} (chmod u+w), or point --db elsewhere`,
    };
  }
}

/** The PostgreSQL server's clock (`SELECT now()`) against this host's, the round trip halved out. */
async function skewCheck(store: StateStore, input: DoctorInput): Promise<DoctorCheck> {
  const now = input.now ?? Date.now;
  const limit = input.maxSkewMs ?? 1_000;
  try {
    const serverTime = (store as unknown as { serverTime(): Promise<number> }).serverTime.bind(store);
    const before = now();
    const server = await withDeadline(serverTime(), CHECK_TIMEOUT_MS, 'SELECT now()');
    const after = now();
    const skew = Math.round(server - (before + after) / 2);
    const spread = Math.ceil((after - before) / 2);
    const detail = `the server's clock is ${Math.abs(skew)} ms ${skew >= 0 ? 'ahead of' : 'behind'} this host's (±${spread} ms)`;
    return Math.abs(skew) - spread <= limit
      ? { name: 'postgres clock skew', ok: true, detail }
      : {
          name: 'postgres clock skew',
          ok: false,
          detail: `${detail}, more than ${limit} ms`,
          fix: 'synchronize the clocks of this host and the database server (NTP, chrony): leases and heartbeats compare their times',
        };
  } catch (error) {
    return {
      name: 'postgres clock skew',
      ok: false,
      detail: reasonOf(error),
      fix: 'check that the database answers',
    };
  }
}

async function sourceChecks(uri: string, config: AgentConfig): Promise<DoctorCheck[]> {
  const name = 'source reachable';
  let kind: string;
  let queue = '';
  try {
    const parsed = parseSourceUri(uri);
    kind = parsed.kind;
    queue = parsed.name;
  } catch (error) {
    return [
      { name, ok: false, detail: reasonOf(error), fix: (error as { hint?: string }).hint ?? 'fix --source' },
    ];
  }
  if (kind === 'local') return [{ name, ok: true, detail: `the embedded log (${uri}), in the state store` }];
  if (kind === 'file') return [readableCheck(name, queue)];
  if (kind === 'kinesis') return [await kinesisCheck(name, uri, config.adapters?.kinesis)];
  const { amqpSettingsOf } = await import('../../transports/amqp/amqp-settings.js');
  const params = new URL(uri).searchParams;
  const declare = params.has('declare')
    ? params.get('declare') !== 'false'
    : amqpSettingsOf(config.adapters).declare;
  return reachAmqp(name, uri, {
    queues: [{ name: queue, ...(declare ? { declaredLater: 'the agent declares it when it starts' } : {}) }],
  });
}

/** The Kinesis check, imported when a URI names Kinesis: the AWS SDK costs ~0.1 s of CPU to load. */
async function kinesisCheck(name: string, uri: string, adapterSettings: unknown): Promise<DoctorCheck> {
  const { reachKinesis } = await import('./reach-kinesis.js');
  return reachKinesis(name, uri, adapterSettings);
}

async function sinkChecks(uri: string, config: AgentConfig, baseDir: string): Promise<DoctorCheck[]> {
  const name = 'sink reachable';
  if (uri === 'none' || uri === 'stdout') return [{ name, ok: true, detail: `${uri}: nothing to reach` }];
  const scheme = uri.slice(0, Math.max(0, uri.indexOf(':'))).toLowerCase();
  if (scheme === 'local')
    return [{ name, ok: true, detail: `the embedded log (${uri}), in the state store` }];
  if (scheme === 'file') {
    const path = resolve(baseDir, uri.slice('file:'.length));
    const check = writableCheck(path);
    return [{ ...check, name, detail: `${uri}: ${check.ok ? 'writable' : check.detail}` }];
  }
  if (scheme === 'kinesis') return [await kinesisCheck(name, uri, config.adapters?.kinesis)];
  if (scheme === 'amqp' || scheme === 'amqps') {
    const params = new URL(uri).searchParams;
    const queue = params.get('queue');
    const exchange = params.get('exchange');
    return reachAmqp(name, uri, {
      ...(queue === null ? {} : { queues: [{ name: queue }] }),
      ...(exchange === null || exchange === '' ? {} : { exchanges: [exchange] }),
    });
  }
  return [
    { name, ok: false, detail: `unknown sink "${redactSecrets(uri)}"`, fix: 'fix --sink or publisher.sink' },
  ];
}

/** The queue runner's task queue has a worker; its results queue exists or is declared at start. */
async function runnerChecks(config: AgentConfig, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const { endpointTopology } = await import('../../remote/task-topology.js');
  const endpoint = config.runner?.endpoint ?? 'default';
  const url = config.runner?.url ?? env.AMQP_URL ?? DEFAULT_AMQP_URL;
  const topology = endpointTopology(endpoint, config.name);
  return reachAmqp('queue runner', url, {
    queues: [
      {
        name: topology.tasks,
        needsConsumer: `start a worker: agentctl worker${endpoint === 'default' ? '' : ` --endpoint ${endpoint}`}`,
      },
      { name: topology.results, declaredLater: 'the agent declares it when it starts' },
    ],
  });
}

function readableCheck(name: string, path: string): DoctorCheck {
  try {
    accessSync(path, constants.R_OK);
    return { name, ok: true, detail: `file:${path}: readable` };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `file:${path}: ${reasonOf(error)}`,
      fix: `check the path of the file source`,
    };
  }
}
