import type { StateStore } from '../store/state-store.js';
import type { Sink } from './publisher.js';

/**
 * What `openSink` hands every sink's opener. Apart from `open-sink.ts` so that a sink's opener (loaded
 * on first use) does not import the registry that loads it.
 */
export interface OpenSinkOptions {
  readonly store: StateStore;
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** Opens the sink a URI of one scheme names. */
export type SinkOpener = (uri: string, options: OpenSinkOptions) => Promise<Sink>;
