import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { UsageError } from '../errors/usage-error.js';
import { redactUri } from '../redact.js';
import type { StateStore } from './state-store.js';

export interface OpenStoreOptions {
  readonly clock?: Clock;
  /** Resolve relative SQLite paths against this directory (default: the working directory). */
  readonly baseDir?: string;
  /** Open read-only (no migrations, no directory created); fails when the store does not exist. */
  readonly readonly?: boolean;
}

type Opener = (location: string, options: OpenStoreOptions) => Promise<StateStore>;

const openers: Record<string, Opener> = {
  async sqlite(location, options) {
    const { openSqliteStore } = await import('./sqlite/sqlite-state-store.js');
    const path = location === ':memory:' ? location : resolve(options.baseDir ?? process.cwd(), location);
    return openSqliteStore({
      path,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
  },
  async postgres(location, options) {
    const { openPostgresStore } = await import('./postgres/postgres-state-store.js');
    return openPostgresStore({
      url: location,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.readonly ? { readonly: true } : {}),
    });
  },
};

/** Registers a store adapter by URI scheme (the PostgreSQL adapter registers `postgres`). */
export function registerStoreOpener(scheme: string, opener: Opener): void {
  openers[scheme] = opener;
}

/** The scheme of a store location: `postgres://…` → postgres; `sqlite:PATH` or a plain path → sqlite. */
export function storeScheme(location: string): string {
  const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location);
  if (match) {
    const scheme = match[1]!.toLowerCase();
    return scheme === 'postgresql' ? 'postgres' : scheme;
  }
  return 'sqlite';
}

/**
 * The absolute path of the SQLite file a location names (relative paths against `baseDir`), or
 * undefined when it names another kind of store or an in-memory one.
 */
export function sqliteStoreFile(location: string, baseDir: string = process.cwd()): string | undefined {
  if (storeScheme(location) !== 'sqlite') return undefined;
  const path = location.replace(/^sqlite:/, '');
  return path === ':memory:' ? undefined : resolve(baseDir, path);
}

/**
 * Opens the state store a location names: a SQLite file path (`.agentctl/agent.db`, `sqlite:PATH`) or a
 * `postgres://` URI. @throws UsageError for an unknown kind.
 */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<StateStore> {
  const scheme = storeScheme(location);
  const opener = openers[scheme];
  if (opener === undefined) {
    throw new UsageError(`unknown state store "${redactUri(location)}"`, {
      hint: 'use a SQLite file path (default .agentctl/agent.db) or postgres://user@host/db',
    });
  }
  const target = scheme === 'sqlite' ? location.replace(/^sqlite:/, '') : location;
  return opener(target, options);
}
