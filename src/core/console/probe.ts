import type { AgentConfig } from '../config/agent-config.js';
import { openOpsSource, opsTarget } from '../ops/operator-source.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../store/state-store.js';
import type { SourceProbe } from './data.js';

/**
 * The config's source, opened on first use, as a probe for the console: it reports latest positions,
 * lag and queue depth while no running agent does. It is only described, never assigned or read; it is
 * connected only when describing it unconnected fails (the local log needs no connection, so a console
 * never creates a topic).
 */
export function configSourceProbe(
  store: StateStore,
  config: AgentConfig,
  group?: string,
): SourceProbe & { close(): Promise<void> } {
  const target = opsTarget(config, group === undefined ? {} : { group });
  let opened: Promise<Source> | undefined;
  let connected = false;
  const source = () => {
    opened ??= openOpsSource(store, target);
    return opened;
  };
  return {
    async describe() {
      const s = await source();
      try {
        return { sourceId: s.id, group: target.group, partitions: await s.describe() };
      } catch (error) {
        if (connected) throw error;
        connected = true;
        await s.connect();
        return { sourceId: s.id, group: target.group, partitions: await s.describe() };
      }
    },
    async close() {
      const s = await opened?.catch(() => undefined);
      await s?.close();
    },
  };
}
