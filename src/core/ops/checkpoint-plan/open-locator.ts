import { parseSourceUri } from '../../sources/source-uri.js';
import type { StateStore } from '../../store/state-store.js';
import type { SourceForOps } from '../operator-source.js';
import { openPeekReader } from '../peek/open-peek-reader.js';
import type { PositionLocator } from './position-locator.js';

/** The locator of the source an operator acts on: a Kinesis shard's, or numbered positions' (local, file, stream). */
export async function openLocator(store: StateStore, target: SourceForOps): Promise<PositionLocator> {
  const open = () =>
    openPeekReader(target.uri, {
      store,
      ...(target.settings === undefined ? {} : { settings: target.settings }),
    });
  if (parseSourceUri(target.uri).kind === 'kinesis') {
    const { KinesisLocator } = await import('./kinesis-locator.js');
    return new KinesisLocator(await open());
  }
  const { NumberedLocator } = await import('./numbered-locator.js');
  return new NumberedLocator(open);
}
