import type { AgentConfig } from '../config/agent-config.js';
import { resolveSettings } from '../config/build-agent.js';
import { openSource } from '../sources/open-source.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../store/state-store.js';

/**
 * The source an operator command acts on (`checkpoint`, the console's checkpoint actions, `status`'s
 * probe): which URI and group, from flags then config then defaults, and how it is opened and closed.
 */
export interface SourceForOps {
  readonly uri: string;
  readonly group: string;
  /** Adapter settings from the config (`adapters`). */
  readonly settings?: Readonly<Record<string, unknown>>;
  readonly localPartitions?: number;
}

/**
 * The group and source an operator acts on: the values given (flags) first, then the config, then the
 * defaults (`local:`), with the config's adapter settings.
 */
export function opsTarget(
  config: AgentConfig,
  given: { readonly source?: string; readonly group?: string } = {},
): SourceForOps {
  const settings = resolveSettings(config, given.source === undefined ? {} : { source: given.source });
  const partitions = config.consumer?.localPartitions;
  return {
    uri: settings.source,
    group: given.group ?? settings.name,
    ...(config.adapters === undefined ? {} : { settings: config.adapters }),
    ...(partitions === undefined ? {} : { localPartitions: partitions }),
  };
}

/** Opens (does not connect) the source an operator acts on, for its group, with the config's settings. */
export function openOpsSource(store: StateStore, target: SourceForOps): Promise<Source> {
  return openSource(target.uri, {
    store,
    group: target.group,
    ...(target.settings === undefined ? {} : { settings: target.settings }),
    ...(target.localPartitions === undefined ? {} : { localPartitions: target.localPartitions }),
  });
}

/** Opens and connects the source a URI names, hands it to `use`, and closes it whatever happens. */
export async function withSource<T>(
  store: StateStore,
  options: SourceForOps,
  use: (source: Source) => Promise<T>,
): Promise<T> {
  const source = await openOpsSource(store, options);
  try {
    await source.connect();
    return await use(source);
  } finally {
    await source.close();
  }
}
