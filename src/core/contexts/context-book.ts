import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors/usage-error.js';
import { redactSecrets } from '../redact.js';
import { sqliteStoreFile } from '../store/open-store.js';
import { placeholdersOf, secretsInClear } from './context-secrets.js';
import {
  type AgentContext,
  CONTEXT_NAME,
  CONTEXT_SETTINGS,
  type ContextsFile,
  readContexts,
  writeContexts,
} from './contexts-file.js';

/** A context as `context list` and `context show` give it: URIs redacted. */
export interface ContextView extends AgentContext {
  readonly name: string;
  /** It is the current context (the one used when none is named). */
  readonly current: boolean;
  /** Environment variables its URIs take their secrets from. */
  readonly secretsFrom: readonly string[];
}

/**
 * The contexts of one `contexts.json`: add, use, remove, list. Relative paths given to `add` are made
 * absolute (a context is used from any directory); URIs with a secret in clear are refused.
 */
export class ContextBook {
  constructor(readonly path: string) {}

  /**
   * Adds (or with `replace`, replaces) the context `name`.
   * @throws UsageError for a bad name, an existing name, no setting, a secret in clear, a missing config.
   */
  add(name: string, given: AgentContext, options: { cwd: string; replace?: boolean }): ContextView {
    if (!CONTEXT_NAME.test(name)) {
      throw new UsageError(`context name "${name}": letters, digits, ".", "_" and "-" only`, {
        hint: 'agentctl context add prod --source …',
      });
    }
    const file = readContexts(this.path);
    if (file.contexts[name] !== undefined && !options.replace) {
      throw new UsageError(`context "${name}" exists already`, {
        hint: `agentctl context remove ${name} first, or add --force to replace it`,
      });
    }
    if (CONTEXT_SETTINGS.every((s) => given[s] === undefined)) {
      throw new UsageError(`context "${name}" sets nothing`, {
        hint: 'give at least one of --source, --db, --sink, --config',
      });
    }
    for (const setting of ['source', 'db', 'sink'] as const) {
      const uri = given[setting];
      const clear = uri === undefined ? [] : secretsInClear(uri);
      if (clear.length > 0) {
        throw new UsageError(
          `context "${name}": --${setting} holds ${clear.join(' and ')} in clear; contexts store no secrets`,
          {
            hint: `write \${NAME} in place of the secret, in single quotes (such as \${RABBIT_PASSWORD} for a password): its value is read from the environment variable NAME whenever the context is used`,
          },
        );
      }
    }
    const context = absolute(given, options.cwd);
    if (context.config !== undefined && !existsSync(context.config)) {
      throw new UsageError(`context "${name}": config file not found: ${context.config}`, {
        hint: 'give --config the path of an agentctl.config.* file',
      });
    }
    writeContexts(this.path, { ...file, contexts: { ...file.contexts, [name]: context } });
    return view(name, context, file.current === name);
  }

  /** Makes `name` the current context; `undefined` leaves no context current. */
  use(name: string | undefined): ContextView | undefined {
    const file = readContexts(this.path);
    if (name === undefined) {
      const { current: _dropped, ...rest } = file;
      writeContexts(this.path, rest);
      return undefined;
    }
    const context = this.get(name, file);
    writeContexts(this.path, { ...file, current: name });
    return view(name, context, true);
  }

  /** Removes `name` (no context is current afterwards if it was). */
  remove(name: string): ContextView {
    const file = readContexts(this.path);
    const context = this.get(name, file);
    const { [name]: _removed, ...contexts } = file.contexts;
    const current = file.current === name ? {} : file.current === undefined ? {} : { current: file.current };
    writeContexts(this.path, { ...current, contexts });
    return view(name, context, false);
  }

  /** Every context, by name, redacted. */
  list(): ContextView[] {
    const file = readContexts(this.path);
    return Object.keys(file.contexts)
      .sort()
      .map((name) => view(name, file.contexts[name] ?? {}, file.current === name));
  }

  /** The name of the current context, if any. */
  current(): string | undefined {
    return readContexts(this.path).current;
  }

  /** The context `name`, as stored (not redacted: URIs hold placeholders, not secrets). */
  get(name: string, file: ContextsFile = readContexts(this.path)): AgentContext {
    const context = file.contexts[name];
    if (context === undefined) {
      const names = Object.keys(file.contexts).sort();
      throw new UsageError(`no context "${name}" in ${this.path}`, {
        hint:
          names.length === 0
            ? 'create one with agentctl context add NAME --source … --db …'
            : `known contexts: ${names.join(', ')} (agentctl context list)`,
      });
    }
    return context;
  }
}

/** A stored context as it is shown: every URI redacted. */
export function view(name: string, context: AgentContext, current: boolean): ContextView {
  const shown: Record<string, unknown> = { name, current };
  for (const setting of CONTEXT_SETTINGS) {
    const value = context[setting];
    if (value !== undefined) shown[setting] = redactSecrets(value);
  }
  const secretsFrom = CONTEXT_SETTINGS.flatMap((s) => placeholdersOf(context[s] ?? ''));
  return {
    ...(shown as { name: string; current: boolean }),
    readonly: context.readonly === true,
    production: context.production === true,
    secretsFrom,
  };
}

/** The context with its relative paths (SQLite store, config file, `file:` source) made absolute. */
function absolute(context: AgentContext, cwd: string): AgentContext {
  const db = context.db === undefined ? undefined : (sqliteStoreFile(context.db, cwd) ?? context.db);
  const source =
    context.source?.startsWith('file:') && !isAbsolute(context.source.slice('file:'.length))
      ? `file:${resolve(cwd, context.source.slice('file:'.length))}`
      : context.source;
  return {
    ...(source === undefined ? {} : { source }),
    ...(db === undefined ? {} : { db }),
    ...(context.sink === undefined ? {} : { sink: context.sink }),
    ...(context.config === undefined ? {} : { config: resolve(cwd, context.config) }),
    ...(context.readonly ? { readonly: true } : {}),
    ...(context.production ? { production: true } : {}),
  };
}
