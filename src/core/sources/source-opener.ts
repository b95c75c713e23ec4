import type { Clock } from '../clock.js';
import type { StateStore } from '../store/state-store.js';
import type { Source } from './source.js';

/**
 * What `openSource` hands every adapter's opener. Apart from `open-source.ts` so that an adapter's
 * opener (loaded on first use) does not import the registry that loads it.
 */
export interface OpenSourceOptions {
  readonly store: StateStore;
  /** The consumer group, for `describe`'s committed positions. */
  readonly group?: string;
  readonly clock?: Clock;
  /** Partitions of a local topic created on first use. */
  readonly localPartitions?: number;
  /** Extra adapter settings from the config file (`source` options), by adapter. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** Opens (without connecting) the source a URI of one kind names. */
export type SourceOpener = (uri: string, options: OpenSourceOptions) => Promise<Source>;
